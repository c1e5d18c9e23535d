import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisResultBackend } from 'celeriac/redis';
import { meta } from '../../libs/task-queue/src/testing/conformance/result-backend.conformance.js';
import { PrivateRedisServer } from '../support/redis-test-server.js';

/**
 * A result larger than Redis's pub/sub output buffer limit (`client-output-buffer-limit pubsub`,
 * 32 MB hard by default) makes Redis close the connection of every client subscribed to its
 * channel: a clean close, no socket error. The waiters of that connection used to miss the
 * result and run into their timeout although it was stored (a 64 MB result over RabbitMQ +
 * Redis: TaskTimeoutError after 60 s). After any reconnect they read the stored results again.
 * The private server lowers the limit to 1 MB so that a 2 MB result trips it.
 */
let server: PrivateRedisServer;
let backend: RedisResultBackend;
let producer: RedisResultBackend;
let admin: Redis;

/** Channels the subscribed connection listens to (`sub=` of CLIENT LIST). */
async function subscribedChannels(): Promise<number> {
  const list = (await admin.client('LIST')) as string;
  return Math.max(0, ...[...list.matchAll(/ sub=(\d+)/g)].map((m) => Number(m[1])));
}

beforeAll(async () => {
  server = await PrivateRedisServer.start();
  admin = new Redis(server.url);
  await admin.config('SET', 'client-output-buffer-limit', 'pubsub 1mb 512kb 60');
  backend = new RedisResultBackend(server.url);
  producer = new RedisResultBackend(server.url);
  await Promise.all([backend.connect(), producer.connect()]);
});

afterAll(async () => {
  await backend?.close();
  await producer?.close();
  admin?.disconnect();
  await server?.destroy();
});

describe('Redis result backend: a result over the pub/sub output buffer limit', () => {
  it('every waiter of the dropped subscriber connection still gets its result', async () => {
    const big = randomUUID();
    const small = randomUUID();
    const waits = [big, small].map((id) => backend.waitForReady(id, { timeout: 15_000 }));
    // Both are subscribed once their first GET found nothing; then the big result is stored.
    await expect.poll(subscribedChannels).toBe(2);
    await producer.store(meta(big, 'SUCCESS', 'x'.repeat(2 * 2 ** 20)));
    await producer.store(meta(small, 'SUCCESS', 5));
    const [bigMeta, smallMeta] = await Promise.all(waits);
    expect(bigMeta.status).toBe('SUCCESS');
    expect((bigMeta.result as string).length).toBe(2 * 2 ** 20);
    expect(smallMeta.result).toBe(5);
  });
});
