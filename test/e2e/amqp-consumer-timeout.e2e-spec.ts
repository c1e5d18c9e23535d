import { Injectable, Logger, type INestApplicationContext } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { Task, TaskClient } from 'celeriac';
import { createApp } from '../../libs/task-queue/src/__fixtures__/create-app.js';
import { PrivateRabbitNode } from '../support/amqp-interop.js';
import { deleteResults, REDIS_URL } from '../support/redis-test-server.js';

// RabbitMQ's consumer_timeout closes the channel of a consumer that holds a delivery unacked for
// too long (a task running longer than the timeout, acks late). The timeout is set on a private
// node (3 s, checked every second), never on the shared server. The worker keeps running and the
// task runs again (at-least-once); the operator is told what happened and what to change.

let runs = 0;

@Injectable()
class LongTasks {
  @Task('timeout.long')
  async long(ms: number): Promise<number> {
    runs++;
    await new Promise((resolve) => setTimeout(resolve, ms));
    return ms;
  }
}

let node: PrivateRabbitNode | undefined;
const apps: INestApplicationContext[] = [];
const ids: string[] = [];

afterAll(async () => {
  for (const app of apps) await app.close().catch(() => undefined);
  await node?.stop();
  await deleteResults(REDIS_URL, ids).catch(() => undefined);
  vi.restoreAllMocks();
}, 60_000);

describe('a task running longer than RabbitMQ consumer_timeout', () => {
  it('logs what happened and what to change; the worker keeps running and the task completes', async () => {
    node = await PrivateRabbitNode.start();
    await node.ctl(
      'eval',
      'application:set_env(rabbit, consumer_timeout, 3000), ' +
        'application:set_env(rabbit, channel_tick_interval, 1000).',
    );
    const warn = vi.spyOn(Logger.prototype, 'warn');
    const queue = `timeout-${randomUUID().slice(0, 8)}`;
    const app = await createApp(
      {
        broker: node.url,
        resultBackend: REDIS_URL,
        defaultQueue: queue,
        events: { enabled: false },
        worker: { concurrency: 1, queues: [queue] },
      },
      [{ module: class LongTasksModule {}, providers: [LongTasks] }],
    );
    apps.push(app);
    const result = await app.get(TaskClient).send<number>('timeout.long', [6_000]);
    ids.push(result.id);
    await expect(result.get({ timeout: 30_000 })).resolves.toBe(6_000);

    const lines = warn.mock.calls
      .map((c) => String(c[0]))
      .filter((l) => /consumer_timeout/.test(l));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines[0]).toMatch(/not acked within RabbitMQ's consumer_timeout \(3000 ms\)/);
    expect(lines[0]).toMatch(/will run again/);
    expect(lines[0]).toMatch(/x-consumer-timeout/);
    expect(runs).toBeGreaterThanOrEqual(1);
  }, 90_000);
});
