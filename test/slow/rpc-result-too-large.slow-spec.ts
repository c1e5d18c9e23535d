import type { INestApplicationContext } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { RemoteTaskError, TaskClient } from 'celeriac';
import { createApp } from '../../libs/task-queue/src/__fixtures__/create-app.js';
import { usePrivateVhost } from '../support/amqp-vhost.js';
import { FaultModule, FaultTasks } from '../support/fault-tasks.js';

/**
 * An `rpc://` result larger than RabbitMQ's max_message_size (128 MiB on 3.x): RabbitMQ refuses
 * the reply. The worker took that for an outage: it retried the store for 60 s, requeued the
 * message, and the task ran again, forever. The refusal is definite, so the task now fails at
 * once with ResultTooLargeError (a small FAILURE the backend takes) and runs once.
 * Slow: the result is 129 MiB.
 */
const vhost = usePrivateVhost('celeriac-rpc-too-large');
let app: INestApplicationContext | undefined;

afterAll(async () => {
  await app?.close();
});

describe('an rpc:// result above max_message_size', () => {
  it('fails the task with ResultTooLargeError at once, naming the limit; it runs once', async () => {
    app = await createApp(
      {
        broker: vhost.url,
        resultBackend: 'rpc://',
        defaultQueue: `rpc-large-${randomUUID()}`,
        worker: { concurrency: 1 },
      },
      [FaultModule],
    );
    const client = app.get(TaskClient);
    const result = await client.get(FaultTasks, 'bigCounted').delay(129);
    const error = await result.get({ timeout: 40_000 }).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(RemoteTaskError);
    expect((error as RemoteTaskError).excType).toBe('ResultTooLargeError');
    expect((error as Error).message).toMatch(/max_message_size/);
    // Settled: the next task runs (one at a time), and the first one did not run again.
    const next = await client.get(FaultTasks, 'len').delay('abc');
    await expect(next.get({ timeout: 30_000 })).resolves.toBe(3);
    expect(FaultTasks.runs.get(result.id)).toBe(1);
  });
});
