import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisBroker } from 'celeriac/redis';
import type { Delivery } from 'celeriac';
import { createTaskMessage } from 'celeriac/protocol';
import { defineLuaCommands } from '../../libs/task-queue/src/transports/redis/redis-lua.loader.js';
import { deleteKeys, REDIS_URL } from '../support/redis-test-server.js';

// fetch-2.lua, ack-2.lua and store-n.lua pass a whole batch to one Redis call, and Lua's unpack
// takes at most about 8,000 values: batches beyond that must still work (batchSize is unbounded).
const prefix = `test-${randomUUID()}:`;
const N = 5000;
const COMMANDS = new URL('../../libs/task-queue/src/transports/redis/commands/', import.meta.url);

describe('Redis scripts with batches larger than Lua can unpack at once', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    redis.disconnect();
    await deleteKeys(REDIS_URL, prefix);
  });

  it(`fetches ${N} messages in one call, records each as unacked and acks them in one call`, async () => {
    const broker = new RedisBroker(REDIS_URL, { globalKeyprefix: prefix, batchSize: N });
    await broker.connect();
    try {
      const q = `q-${randomUUID()}`;
      const tasks = Array.from({ length: N }, (_, i) =>
        createTaskMessage({ name: 'big.batch', args: [i] }),
      );
      await Promise.all(tasks.map((message) => broker.publish(message, { queue: q })));
      const got: Delivery[] = [];
      const consumer = await broker.consume([q], (d) => got.push(d), { prefetch: N });
      await expect.poll(() => got.length, { timeout: 20_000 }).toBe(N);
      expect(new Set(got.map((d) => d.message.headers.id)).size).toBe(N);
      expect(await redis.hlen(`${prefix}unacked`)).toBe(N);
      expect(await redis.zcard(`${prefix}unacked_index`)).toBe(N);
      await consumer.cancel();
      const { ack } = defineLuaCommands(redis, COMMANDS, ['ack-2.lua']);
      const tags = got.map((d) => d.deliveryTag);
      expect(await ack!(`${prefix}unacked`, `${prefix}unacked_index`, ...tags)).toBe(N);
      expect(await redis.hlen(`${prefix}unacked`)).toBe(0);
      expect(await redis.zcard(`${prefix}unacked_index`)).toBe(0);
    } finally {
      await broker.close();
    }
  });

  it('stores 9,000 results in one call, keeping a stored SUCCESS', async () => {
    const { store } = defineLuaCommands(redis, COMMANDS, ['store-n.lua']);
    const keys = Array.from({ length: 9000 }, (_, i) => `${prefix}celery-task-meta-${i}`);
    await redis.set(keys[8500]!, JSON.stringify({ status: 'SUCCESS', result: 'kept' }));
    const metas = keys.flatMap((k) => [JSON.stringify({ status: 'SUCCESS', result: k }), '1']);
    expect(await store!(keys.length, ...keys, 60, ...metas)).toBe(8999);
    expect(JSON.parse((await redis.get(keys[8500]!))!)).toMatchObject({ result: 'kept' });
    expect(JSON.parse((await redis.get(keys[8999]!))!)).toMatchObject({ result: keys[8999] });
  });
});
