import { Injectable } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskClient } from 'celeriac';
import { Task } from 'celeriac';
import { type AmqpTestVhost, createTestVhost, listQueues } from '../support/amqp-vhost.js';
import { eventually } from '../support/control-python.js';
import { ensureBuilt } from '../support/interop-build.js';
import { startNodeWorker, stopAll } from '../support/interop-processes.js';
import { deleteResults, REDIS_URL } from '../support/redis-test-server.js';
import { createTaskQueueApp } from '../support/task-queue-app.js';
import { uniqueName } from '../support/unique-name.js';

// A warm shutdown on RabbitMQ: the tasks that finish while the worker stops must be acked
// before the connection closes, or RabbitMQ redelivers them and they run a second time.

let vhost: AmqpTestVhost;
const ids: string[] = [];

beforeAll(async () => {
  await ensureBuilt();
  vhost = await createTestVhost('celeriac-shutdown-acks');
}, 120_000);

afterAll(async () => {
  await stopAll();
  await deleteResults(REDIS_URL, ids).catch(() => undefined);
  await vhost?.dispose();
}, 60_000);

/** Ready + unacked messages of `queue` on the vhost. */
async function left(queue: string): Promise<{ ready: number; unacked: number }> {
  const stats = (await listQueues(vhost.name)).find((q) => q.name === queue);
  return { ready: stats?.messages ?? 0, unacked: stats?.unacked ?? 0 };
}

const runs = new Map<string, number>();

@Injectable()
class ShutdownTasks {
  @Task('shutdown.sleep')
  async sleep(id: string, ms: number): Promise<string> {
    runs.set(id, (runs.get(id) ?? 0) + 1);
    await new Promise((resolve) => setTimeout(resolve, ms));
    return id;
  }
}

async function app(queue: string, worker: boolean) {
  return createTaskQueueApp(
    {
      broker: vhost.url,
      resultBackend: REDIS_URL,
      defaultQueue: queue,
      events: { enabled: false },
      worker: { enabled: worker, queues: [queue], concurrency: 8 },
    },
    { providers: [ShutdownTasks] },
  );
}

describe('RabbitMQ warm shutdown acks what finished during it', () => {
  it('stop(): every task that finished while stopping is acked, none runs again', async () => {
    const queue = uniqueName('acks-stop');
    const producer = await app(queue, false);
    const worker = await app(queue, true);
    try {
      const tasks = producer.get(TaskClient);
      const sent = await Promise.all(
        Array.from({ length: 8 }, (_, i) => tasks.send('shutdown.sleep', [`${queue}-${i}`, 600])),
      );
      ids.push(...sent.map((r) => r.id));
      await eventually(async () => runs.size >= 8, 20_000, 'all 8 tasks to start');
      await worker.close(); // warm: the 8 running tasks finish, then the connection closes
      await expect(Promise.all(sent.map((r) => r.get({ timeout: 10_000 })))).resolves.toHaveLength(
        8,
      );
      expect(await left(queue)).toEqual({ ready: 0, unacked: 0 });
      const again = await app(queue, true);
      await new Promise((resolve) => setTimeout(resolve, 1_000)); // a redelivery would start now
      await again.close();
      for (let i = 0; i < 8; i++) expect(runs.get(`${queue}-${i}`), `task ${i}`).toBe(1);
    } finally {
      await producer.close();
    }
  }, 60_000);

  it('SIGTERM: a worker process acks the tasks it finished before exiting', async () => {
    const queue = uniqueName('acks-term');
    const worker = await startNodeWorker({
      broker: vhost.url,
      backend: REDIS_URL,
      queues: [queue],
      concurrency: 6,
      shutdownTimeout: 20_000,
    });
    const producer = await app(queue, false);
    try {
      const tasks = producer.get(TaskClient);
      const sent = await Promise.all(
        // 6 s each: long enough for rabbitmqctl polls on a loaded machine (a second or more
        // each) to see all six running at once, short of the worker's 20 s shutdown timeout.
        Array.from({ length: 6 }, () => tasks.send<number>('interop.sleep', [6])),
      );
      ids.push(...sent.map((r) => r.id));
      await eventually(async () => (await left(queue)).unacked === 6, 20_000, '6 running tasks');
      worker.child.kill('SIGTERM');
      await worker.exited;
      expect(worker.output).toMatch(/Warm shutdown: waiting up to \d+ ms for 6 running task/);
      await expect(Promise.all(sent.map((r) => r.get({ timeout: 10_000 })))).resolves.toEqual(
        Array(6).fill(6),
      );
      expect(await left(queue)).toEqual({ ready: 0, unacked: 0 });
    } finally {
      await producer.close();
    }
  }, 60_000);
});
