import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { Task, TaskClient, TaskContext } from 'celeriac';
import { usePrivateVhost } from '../support/amqp-vhost.js';
import { type Closable, openRawChannel } from '../support/raw-amqp-channel.js';
import { deleteResults, REDIS_URL } from '../support/redis-test-server.js';
import { createTaskQueueApp } from '../support/task-queue-app.js';

// RabbitMQ cancels the consumer of a queue that is deleted (`rabbitmqctl delete_queue`, a
// client's queue.delete) and drops the queue's messages, unacked ones included. The worker
// consumes that queue again on the same channel: its other queues' running tasks keep their
// channel (their acks count, so they do not run again), and the tasks it had already received
// from the deleted queue still run.

const vhost = usePrivateVhost('celeriac-queue-deleted');
const runs = new Map<string, number>();

@Injectable()
class DeletedQueueTasks {
  constructor(private readonly ctx: TaskContext) {}

  @Task('deleted.sleep', { params: ['ms'] })
  async sleep(ms: number): Promise<number> {
    const id = this.ctx.id;
    runs.set(id, (runs.get(id) ?? 0) + 1);
    await new Promise((resolve) => setTimeout(resolve, ms));
    return ms;
  }
}

const opened: Closable[] = [];
const ids: string[] = [];
afterEach(async () => {
  for (const item of opened.splice(0).reverse()) await item.close().catch(() => undefined);
  vi.restoreAllMocks();
});
afterAll(async () => {
  await deleteResults(REDIS_URL, ids).catch(() => undefined);
});

async function app(queues: string[], worker: boolean): Promise<TestingModule> {
  const moduleRef = await createTaskQueueApp(
    {
      broker: vhost.url,
      resultBackend: REDIS_URL,
      defaultQueue: queues[0],
      events: { enabled: false },
      worker: { enabled: worker, queues, concurrency: 2 },
    },
    { providers: [DeletedQueueTasks] },
  );
  opened.push(moduleRef);
  return moduleRef;
}

describe('a queue deleted under a worker that consumes it with another one', () => {
  it("the other queue's running tasks run once; the tasks already received from the deleted one run", async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn');
    const deleted = `deleted-${randomUUID()}`;
    const kept = `kept-${randomUUID()}`;
    await app([deleted, kept], true);
    const producer = (await app([deleted], false)).get(TaskClient);
    const send = async (queue: string, ms: number) => {
      const result = await producer.send<number>('deleted.sleep', [ms], {}, { queue });
      ids.push(result.id);
      return result;
    };
    const running = [await send(kept, 1_500), await send(kept, 1_500)];
    await expect.poll(() => running.every((r) => runs.has(r.id))).toBe(true);
    // Both slots are busy: these two wait in the worker (received, not started).
    const received = [await send(deleted, 10), await send(deleted, 10)];
    await new Promise((resolve) => setTimeout(resolve, 300));

    const channel = await openRawChannel(vhost.url, opened);
    expect((await channel.deleteQueue(deleted)).messageCount).toBe(0);

    await expect(Promise.all(running.map((r) => r.get({ timeout: 15_000 })))).resolves.toEqual([
      1_500, 1_500,
    ]);
    // Was: dropped as "put back by the broker", which had deleted them with the queue.
    await expect(Promise.all(received.map((r) => r.get({ timeout: 15_000 })))).resolves.toEqual([
      10, 10,
    ]);
    const after = await send(deleted, 10);
    await expect(after.get({ timeout: 30_000 })).resolves.toBe(10);
    // Was: 2 each, the channel closed under them, so RabbitMQ redelivered them.
    expect(running.map((r) => runs.get(r.id))).toEqual([1, 1]);
    expect((await channel.checkQueue(kept)).messageCount).toBe(0);
    const warned = warn.mock.calls.map((call) => String(call[0]));
    expect(warned.filter((line) => line.includes(`consumer of "${deleted}"`))).toHaveLength(1);
    expect(warned.filter((line) => /Dropped|Could not settle|channel/.test(line))).toEqual([]);
  }, 60_000);
});
