import type { INestApplicationContext } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { RemoteTaskError, TaskClient } from 'celeriac';
import { createApp } from '../../libs/task-queue/src/__fixtures__/create-app.js';
import { usePrivateVhost } from '../support/amqp-vhost.js';
import { FaultModule, FaultTasks } from '../support/fault-tasks.js';

/**
 * A task whose FAILURE is larger than RabbitMQ's max_message_size (an exception message of
 * 130 MiB, and its stack that repeats it): RabbitMQ refuses the `rpc://` reply. The worker took
 * that for an outage: 60 s of store retries, a requeue, and the task ran again, forever. The
 * FAILURE is now stored once with its message and traceback truncated to fit, saying so.
 * Slow: the error is 130 MiB.
 */
const vhost = usePrivateVhost('celeriac-rpc-failure-too-large');
let app: INestApplicationContext | undefined;

afterAll(async () => {
  await app?.close();
});

describe('an rpc:// FAILURE above max_message_size', () => {
  it('is stored once, truncated and saying so; the task runs once', async () => {
    app = await createApp(
      {
        broker: vhost.url,
        resultBackend: 'rpc://',
        defaultQueue: `rpc-failure-large-${randomUUID()}`,
        worker: { concurrency: 1 },
      },
      [FaultModule],
    );
    const client = app.get(TaskClient);
    const result = await client.get(FaultTasks, 'bigFailure').delay(130);
    const error = await result.get({ timeout: 40_000 }).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(RemoteTaskError);
    const remote = error as RemoteTaskError;
    expect(remote.excType).toBe('Error');
    const stored = String(remote.excArgs[0]);
    expect(stored).toMatch(/^big failure y+\.\.\. \[truncated \d+ characters\]$/);
    expect(stored.length).toBeLessThan(2 ** 20);
    expect(remote.remoteStack ?? '').toMatch(/\[truncated \d+ characters\]$/);
    // Settled: the next task runs (one at a time), and the first one did not run again.
    const next = await client.get(FaultTasks, 'len').delay('abc');
    await expect(next.get({ timeout: 30_000 })).resolves.toBe(3);
    expect(FaultTasks.runs.get(result.id)).toBe(1);
  });
});
