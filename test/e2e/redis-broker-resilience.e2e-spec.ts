import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisBroker } from 'celeriac/redis';
import { BrokerConnectionError, TaskQueueError, type Delivery } from 'celeriac';
import { createTaskMessage } from 'celeriac/protocol';
import { freePort, PrivateRedisServer } from '../support/redis-test-server.js';

// These tests use their own redis-server processes on free loopback ports, never 6379.
describe('RedisBroker: connection resilience', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });
  const msg = (n: number) => createTaskMessage({ name: 'redis.task', args: [n] });

  it('fails a publish to an unreachable Redis after the bounded wait', async () => {
    const broker = new RedisBroker(`redis://127.0.0.1:${await freePort()}/0`, {
      publishTimeout: 300,
    });
    cleanup.push(() => broker.close());
    const publishing = broker.publish(msg(1), { queue: 'nowhere' });
    await expect(publishing).rejects.toBeInstanceOf(BrokerConnectionError);
    await expect(publishing).rejects.toThrow(/not reachable within 300 ms, nothing was sent/);
    await expect(broker.connect()).rejects.toBeInstanceOf(BrokerConnectionError);
  });

  it('keeps consuming after the Redis server is killed and restarted', async () => {
    const server = await PrivateRedisServer.start();
    cleanup.push(() => server.kill());
    const options = { publishTimeout: 15_000, wakeTimeout: 1 };
    const worker = new RedisBroker(server.url, options);
    const producer = new RedisBroker(server.url, options);
    cleanup.push(
      () => producer.close(),
      () => worker.close(),
    );
    const got: Delivery[] = [];
    await worker.consume(
      ['resilience'],
      (d) => {
        got.push(d);
        void d.ack();
      },
      { prefetch: 4 },
    );
    await producer.publish(msg(1), { queue: 'resilience' });
    await expect.poll(() => got.length).toBe(1);

    await server.kill();
    await new Promise((r) => setTimeout(r, 300));
    await server.start();

    await producer.publish(msg(2), { queue: 'resilience' });
    await expect.poll(() => got.length, { timeout: 20_000 }).toBe(2);
    expect(JSON.parse(got[1]!.message.body)[0]).toEqual([2]);
  });

  it('binds its direct queues again after a Redis restart that lost every key', async () => {
    const server = await PrivateRedisServer.start(); // no persistence: a restart empties it
    cleanup.push(() => server.kill());
    const worker = new RedisBroker(server.url, { publishTimeout: 15_000, wakeTimeout: 1 });
    const producer = new RedisBroker(server.url, { publishTimeout: 15_000 });
    const admin = new Redis(server.url, { lazyConnect: true });
    cleanup.push(
      () => producer.close(),
      () => worker.close(),
      async () => admin.disconnect(),
    );
    // What a worker with worker_direct does: <hostname>.dq2 bound to C.dq2 with its hostname.
    await worker.bindDirect('w1@h.dq2', 'C.dq2', 'w1@h');
    const got: Delivery[] = [];
    await worker.consume(
      ['w1@h.dq2'],
      (d) => {
        got.push(d);
        void d.ack();
      },
      { prefetch: 1 },
    );
    const direct = { queue: 'w1@h.dq2', exchange: 'C.dq2', routingKey: 'w1@h' };
    await producer.publish(msg(1), direct);
    await expect.poll(() => got.length).toBe(1);

    await server.kill();
    await server.start();
    // Was: the binding stayed lost until the worker restarted, so a publish routed through
    // C.dq2 (Python's apply_async(exchange='C.dq2', routing_key=...)) found no queue.
    await expect
      .poll(async () => admin.smembers('_kombu.binding.C.dq2'), { timeout: 20_000 })
      .toEqual(['w1@h\x06\x16\x06\x16w1@h.dq2']);
    await producer.publish(msg(2), direct);
    await expect.poll(() => got.length, { timeout: 20_000 }).toBe(2);
  });

  it('a publish Redis refuses for lack of memory (maxmemory) says so and what to do', async () => {
    const server = await PrivateRedisServer.start();
    cleanup.push(() => server.kill());
    const broker = new RedisBroker(server.url, { publishTimeout: 5_000 });
    const admin = new Redis(server.url);
    cleanup.push(
      () => broker.close(),
      async () => admin.disconnect(),
    );
    await broker.publish(msg(1), { queue: 'oom' });
    await admin.config('SET', 'maxmemory', '1'); // every write is now refused (noeviction)

    const error = await broker.publish(msg(2), { queue: 'oom' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskQueueError);
    expect((error as Error).message).toMatch(
      /out of memory \(maxmemory reached\): the refused task\(s\) were not stored/,
    );
    expect((error as Error).message).toMatch(/raise maxmemory/);
    expect((error as Error).message).not.toMatch(/kombu queues/);
    expect(await admin.llen('oom')).toBe(1);

    await admin.config('SET', 'maxmemory', '0');
    await broker.publish(msg(3), { queue: 'oom' });
    expect(await admin.llen('oom')).toBe(2);
  });
});
