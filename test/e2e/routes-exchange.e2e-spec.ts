import 'reflect-metadata';
import type { TestingModule } from '@nestjs/testing';
import { TaskClient, type TaskQueueOptions } from 'celeriac';
import { afterAll, describe, expect, it } from 'vitest';
import { usePrivateVhost } from '../support/amqp-vhost.js';
import { startPythonWorker } from '../support/interop-processes.js';
import { deleteKeys, REDIS_URL } from '../support/redis-test-server.js';
import { createTaskQueueApp } from '../support/task-queue-app.js';
import { uniqueName } from '../support/unique-name.js';

// A route with an exchange and a routing key (Celery's task_routes entry {'exchange': 'x',
// 'routing_key': 'rk'}) publishes there: a Python Celery 5.2.6 worker whose queue is bound to
// that exchange under that key (neither named like the queue) runs the task, on RabbitMQ and
// on Redis (kombu's `_kombu.binding.<exchange>` table).

const vhost = usePrivateVhost('routes-exchange');
const tag = uniqueName('rtx');
const T = { timeout: 20_000 };

afterAll(async () => {
  await deleteKeys(REDIS_URL, `_kombu.binding.${tag}`, tag);
});

async function producer(
  broker: string,
  routes: TaskQueueOptions['routes'],
): Promise<TestingModule> {
  return createTaskQueueApp({
    broker,
    resultBackend: REDIS_URL,
    defaultQueue: `${tag}-default`,
    routes,
    events: { enabled: false },
    worker: { enabled: false },
  });
}

describe.each([
  ['RabbitMQ', () => vhost.url],
  ['Redis', () => REDIS_URL],
])('routes with an exchange on %s', (name, brokerUrl) => {
  it('a Python worker consuming the bound queue runs the routed task', async () => {
    const exchange = `${tag}-ex-${name}`;
    const queue = `${tag}-bound-${name}`;
    const python = await startPythonWorker({
      broker: brokerUrl(),
      backend: REDIS_URL,
      queue,
      env: {
        INTEROP_EXCHANGE: exchange,
        INTEROP_EXCHANGE_QUEUE: queue,
        INTEROP_ROUTING_KEY: 'reports.daily',
      },
    });
    const app = await producer(brokerUrl(), {
      'interop_py.add': { exchange, routingKey: 'reports.daily' },
      'interop_py.fail': { queue: `${tag}-other`, exchange, routingKey: 'reports.daily' },
    });
    const ids: string[] = [];
    try {
      const client = app.get(TaskClient);
      const sum = await client.send<number>('interop_py.add', [2, 3]);
      const failed = await client.send('interop_py.fail', ['routed']);
      ids.push(sum.id, failed.id);
      expect(await sum.get(T)).toBe(5);
      // With a queue named too, the task still goes to the exchange (the queue is declared).
      await expect(failed.get(T)).rejects.toMatchObject({ excType: 'ValueError' });
    } finally {
      await app.close();
      await python.stop();
      await deleteKeys(REDIS_URL, ...ids.map((id) => `celery-task-meta-${id}`));
    }
  });
});
