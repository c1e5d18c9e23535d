import type { INestApplicationContext } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { RemoteTaskError, TaskClient } from 'celeriac';
import { createApp } from '../../libs/task-queue/src/__fixtures__/create-app.js';
import { FaultModule, FaultTasks } from '../support/fault-tasks.js';
import { REDIS_URL } from '../support/redis-test-server.js';

/**
 * On Redis, a result is one JSON text; Redis would take 512 MB (proto-max-bulk-len), but no
 * JavaScript string is longer than 2^29 - 24 characters (about 512 MiB). A task that threw an
 * error with a 300 MiB message (600 MiB with its stack) had a FAILURE no JSON text can hold: it
 * was stored "without its arguments", failed the same way, and the message was requeued: the
 * task ran again, forever. The FAILURE is now stored once, truncated and saying so.
 * Slow: the error is 300 MiB.
 */
let app: INestApplicationContext | undefined;

afterAll(async () => {
  await app?.close();
});

describe('a Redis FAILURE longer than the longest JSON text', () => {
  it('is stored once, truncated and saying so; the task runs once', async () => {
    app = await createApp(
      {
        resultBackend: REDIS_URL,
        defaultQueue: `redis-failure-large-${randomUUID()}`,
        worker: { concurrency: 1 },
      },
      [FaultModule],
    );
    const client = app.get(TaskClient);
    const result = await client.get(FaultTasks, 'bigFailure').delay(300);
    const error = await result.get({ timeout: 60_000 }).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(RemoteTaskError);
    const stored = String((error as RemoteTaskError).excArgs[0]);
    expect(stored).toMatch(/^big failure y+\.\.\. \[truncated \d+ characters\]$/);
    const next = await client.get(FaultTasks, 'len').delay('abc');
    await expect(next.get({ timeout: 30_000 })).resolves.toBe(3);
    expect(FaultTasks.runs.get(result.id)).toBe(1);
  });
});
