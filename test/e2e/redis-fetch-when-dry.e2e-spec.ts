import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { RedisBroker } from 'celeriac/redis';
import type { Delivery } from 'celeriac';
import { createTaskMessage } from 'celeriac/protocol';
import { RedisBrokerScripts } from '../../libs/task-queue/src/transports/redis/redis-broker.scripts.js';
import { RedisWaker } from '../../libs/task-queue/src/transports/redis/redis-waker.js';
import { deleteKeys, REDIS_URL } from '../support/redis-test-server.js';

// A worker at a steady low rate finds one message per wake-up. A fetch that takes fewer
// messages than it asked for has emptied the queue's lists: when it took one (or none), the
// consumer goes back to sleep on its blocking wake-up, instead of calling fetch-2.lua a second
// time to learn that they are empty (one script call and one round trip per message, on the
// latency path). When it took several, messages are arriving faster than a round trip: it
// fetches again at once, as before.
const prefix = `test-${randomUUID()}:`;

describe('Redis consumer on a queue that runs dry', () => {
  afterAll(async () => {
    vi.restoreAllMocks();
    await deleteKeys(REDIS_URL, prefix);
  });

  it('calls the fetch script once per message and sleeps until the next one', async () => {
    const fetches = vi.spyOn(RedisBrokerScripts.prototype, 'fetch');
    const waits = vi.spyOn(RedisWaker.prototype, 'wait');
    // A long wake timeout: no timed-out wake-up re-checks the queue during the test.
    const broker = new RedisBroker(REDIS_URL, { globalKeyprefix: prefix, wakeTimeout: 60 });
    await broker.connect();
    try {
      const queue = `q-${randomUUID()}`;
      const first = createTaskMessage({ name: 'dry.one', args: [1] });
      const second = createTaskMessage({ name: 'dry.one', args: [2] });
      await broker.publish(first, { queue });
      const got: Delivery[] = [];
      const consumer = await broker.consume([queue], (d) => got.push(d), { prefetch: 10 });
      await expect.poll(() => got.length, { timeout: 20_000 }).toBe(1);
      await expect.poll(() => waits.mock.calls.length, { timeout: 20_000 }).toBe(1);
      expect(fetches).toHaveBeenCalledTimes(1);

      await broker.publish(second, { queue });
      await expect.poll(() => got.length, { timeout: 20_000 }).toBe(2);
      await expect.poll(() => waits.mock.calls.length, { timeout: 20_000 }).toBe(2);
      expect(fetches).toHaveBeenCalledTimes(2);
      expect(got.map((d) => d.message.headers.id)).toEqual([first.headers.id, second.headers.id]);

      await Promise.all(got.map((d) => d.ack()));
      await consumer.cancel();
    } finally {
      await broker.close();
    }
  });

  it('fetches again at once after a fetch that took several messages', async () => {
    const fetches = vi.spyOn(RedisBrokerScripts.prototype, 'fetch');
    const waits = vi.spyOn(RedisWaker.prototype, 'wait');
    fetches.mockClear();
    waits.mockClear();
    const broker = new RedisBroker(REDIS_URL, { globalKeyprefix: prefix, wakeTimeout: 60 });
    await broker.connect();
    try {
      const queue = `q-${randomUUID()}`;
      const messages = [1, 2, 3].map((i) => createTaskMessage({ name: 'dry.burst', args: [i] }));
      for (const message of messages) await broker.publish(message, { queue });
      const got: Delivery[] = [];
      const consumer = await broker.consume([queue], (d) => got.push(d), { prefetch: 10 });
      await expect.poll(() => waits.mock.calls.length, { timeout: 20_000 }).toBe(1);
      // The first fetch took all three; the second found the lists empty; then it slept.
      expect(fetches).toHaveBeenCalledTimes(2);
      expect(got).toHaveLength(3);
      await Promise.all(got.map((d) => d.ack()));
      await consumer.cancel();
    } finally {
      await broker.close();
    }
  });
});
