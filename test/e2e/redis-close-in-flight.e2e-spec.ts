import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Delivery } from 'celeriac';
import { createTaskMessage } from 'celeriac/protocol';
import { RedisBroker } from 'celeriac/redis';
import { PausableProxy } from '../support/pausable-proxy.js';
import { deleteKeys, REDIS_URL } from '../support/redis-test-server.js';

// A consumer's fetch can be on its way to Redis when the consumer is cancelled or the broker
// closes (a worker scaled in while it drains a queue). What that fetch takes must go back to
// its queue before close() resolves: left in `unacked`, it waits the visibility timeout (an
// hour by default) with no worker owning it.

const prefix = `test-${randomUUID()}:`;
let proxy: PausableProxy;
let redis: Redis;

beforeAll(async () => {
  proxy = await PausableProxy.start(6379);
  redis = new Redis(REDIS_URL);
});

afterAll(async () => {
  await proxy?.close();
  redis?.disconnect();
  await deleteKeys(REDIS_URL, prefix);
});

describe('RedisBroker: a fetch in flight when the consumer stops', () => {
  for (const how of ['broker.close()', 'consumer.cancel()'] as const) {
    it(`${how} gives back what that fetch took`, async () => {
      const queue = `inflight-${randomUUID().slice(0, 8)}`;
      const keys = `${prefix}${queue}:`;
      const broker = new RedisBroker(`redis://127.0.0.1:${proxy.port}/0`, {
        globalKeyprefix: keys,
        publishTimeout: 5_000,
      });
      await broker.connect();
      for (let i = 0; i < 5; i++) {
        await broker.publish(createTaskMessage({ name: 'inflight.task', args: [i] }), { queue });
      }
      const got: Delivery[] = [];
      const consumer = await broker.consume([queue], (d) => got.push(d), { prefetch: 1 });
      await expect.poll(() => got.length).toBe(1);

      // Hold the traffic, settle the one delivery: its ack and the next fetch wait in the proxy.
      proxy.pause();
      void got[0]!.ack();
      await new Promise((resolve) => setImmediate(resolve));
      const stopped = how === 'broker.close()' ? broker.close() : consumer.cancel();
      await new Promise((resolve) => setImmediate(resolve));
      proxy.resume();
      await stopped;
      if (how === 'consumer.cancel()') await broker.close();

      // What the held fetch took is back on the queue, not unacked, and was not handed over.
      expect(await redis.hlen(`${keys}unacked`)).toBe(0);
      expect(await redis.llen(`${keys}${queue}`)).toBe(4);
      expect(got.length).toBe(1);
    });
  }
});
