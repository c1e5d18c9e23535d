import type { INestApplicationContext } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { RemoteTaskError, TaskClient } from 'celeriac';
import { createApp } from '../../libs/task-queue/src/__fixtures__/create-app.js';
import { FaultModule, FaultTasks } from '../support/fault-tasks.js';
import { deleteKeys, REDIS_URL } from '../support/redis-test-server.js';

/**
 * A result whose JSON is longer than V8 can hold in one string (~512 MiB): JSON.stringify throws
 * `RangeError: Invalid string length`. The worker took that for an unreachable backend: it
 * retried the store for 60 s ("Check the backend's connection"), then requeued the message, and
 * the task ran again, forever. It is a result JSON cannot carry: the task fails at once with
 * UnserializableValueError, and its message is settled. Slow: the result is a 512 MiB string.
 */
const queue = `too-long-${randomUUID()}`;
let app: INestApplicationContext | undefined;

afterAll(async () => {
  await app?.close();
  await deleteKeys(REDIS_URL, queue, `_kombu.binding.${queue}`, `${queue}.dlq`);
});

describe('a result too long for a JSON string', () => {
  it('fails the task with UnserializableValueError at once; it does not run again', async () => {
    app = await createApp(
      {
        broker: REDIS_URL,
        resultBackend: REDIS_URL,
        defaultQueue: queue,
        resultExpires: 600,
        worker: { concurrency: 1 },
      },
      [FaultModule],
    );
    const client = app.get(TaskClient);
    const result = await client.get(FaultTasks, 'tooLongJson').delay();
    const error = await result.get({ timeout: 30_000 }).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(RemoteTaskError);
    expect((error as RemoteTaskError).excType).toBe('UnserializableValueError');
    expect((error as Error).message).toMatch(/Invalid string length/);
    // Settled: the next task runs (one at a time), and the first one did not run again.
    const next = await client.get(FaultTasks, 'len').delay('abc');
    await expect(next.get({ timeout: 30_000 })).resolves.toBe(3);
    expect(FaultTasks.runs.get(result.id)).toBe(1);
  });
});
