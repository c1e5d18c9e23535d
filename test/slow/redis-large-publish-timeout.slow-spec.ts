import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisBroker } from 'celeriac/redis';
import { createTaskMessage } from 'celeriac/protocol';
import { REDIS_URL } from '../support/redis-test-server.js';

/**
 * A large task message on Redis (tens to hundreds of MB of arguments) takes longer to write
 * than the publish timeout allows (200 MB of arguments, a 335 MB envelope: 1.8 s on an idle
 * host, more on a loaded one, against 10 s by default). The publish then failed with
 * PublishOutcomeUnknownError although Redis stored the message and a worker ran it. The
 * timeout now grows with the size of what is sent (1 s per 10 MB). Here publishTimeout is
 * 50 ms, which no 134 MB write meets: the publish must succeed, and the message is queued once.
 */
const queue = `large-publish-${randomUUID()}`;
const redis = new Redis(REDIS_URL);
const broker = new RedisBroker(REDIS_URL, { publishTimeout: 50 });

afterAll(async () => {
  await redis.del(queue);
  await redis.quit();
  await broker.close();
});

describe('a large task message on Redis', () => {
  it('is published within a timeout scaled to its size, and queued once', async () => {
    const message = createTaskMessage({ name: 'big.task', args: ['x'.repeat(100 * 2 ** 20)] });
    await broker.publish(message, { queue });
    expect(await redis.llen(queue)).toBe(1);
  });
});
