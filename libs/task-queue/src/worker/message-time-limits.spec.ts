import { randomUUID } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../__fixtures__/create-app.js';
import { TaskClient } from '../producer/task.client.js';
import { createTaskMessage } from '../protocol/task-message.factory.js';
import { MemoryBroker } from '../transports/memory/memory.broker.js';

/**
 * The `timelimit` header as any producer may write it: a limit longer than a timer can hold
 * (Node fires a timer of more than 2^31 - 1 ms, 24.8 days, after 1 ms) or not positive must
 * not kill a task on the spot.
 */
let app: INestApplicationContext | undefined;
afterEach(async () => {
  await app?.close();
});

async function runWith(timelimit: [number | null, number | null]): Promise<unknown> {
  const name = `limits-${randomUUID()}`;
  app = await createApp({ broker: `memory://${name}` });
  const message = createTaskMessage({ name: 'orders.slow', args: [50] });
  await new MemoryBroker(name).publish(
    { ...message, headers: { ...message.headers, timelimit } },
    { queue: 'celery' },
  );
  return app.get(TaskClient).result(message.headers.id).get({ timeout: 5_000, propagate: false });
}

describe('message time limits', () => {
  it.each([
    [[2_592_000, null]],
    [[null, 2_592_000]],
    [[1e12, 1e12]],
    [[-1, null]],
    [[null, -5]],
  ] as [number | null, number | null][][])(
    'timelimit %j: the task runs to the end',
    async (timelimit) => {
      await expect(runWith(timelimit)).resolves.toBe('done');
    },
  );
});
