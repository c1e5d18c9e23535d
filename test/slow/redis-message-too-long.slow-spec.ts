import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { MessageTooLargeError } from 'celeriac';
import { RedisBroker } from 'celeriac/redis';
import { createTaskMessage } from 'celeriac/protocol';
import { REDIS_URL } from '../support/redis-test-server.js';

/**
 * A Redis envelope is one JSON text with the task's body in base64: arguments above about
 * 380 MiB make it longer than the longest JavaScript string. delay() failed with Node's bare
 * "Cannot create a string longer than 0x1fffffe8 characters". It is now a MessageTooLargeError
 * that says what is too large and what to do; nothing is sent. Slow: 390 MiB of arguments.
 */
const queue = `too-long-${randomUUID()}`;
const redis = new Redis(REDIS_URL);
const broker = new RedisBroker(REDIS_URL);

afterAll(async () => {
  await redis.del(queue);
  await redis.quit();
  await broker.close();
});

describe('a task message longer than the longest Redis envelope', () => {
  it('fails with MessageTooLargeError naming the limit; nothing is queued', async () => {
    const message = createTaskMessage({ name: 'big.task', args: ['x'.repeat(390 * 2 ** 20)] });
    const refused = await broker.publish(message, { queue }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(MessageTooLargeError);
    expect((refused as Error).message).toMatch(/longest JavaScript string.*nothing was sent/);
    expect(await redis.llen(queue)).toBe(0);
  });
});
