import type { INestApplicationContext } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Broker, getBrokerToken } from 'celeriac';
import { createTaskMessage } from 'celeriac/protocol';
import { TaskQueueMetricsModule } from 'celeriac/prometheus';
import { RedisBroker } from 'celeriac/redis';
import { Redis } from 'ioredis';
import { PrivateRedisServer } from '../support/redis-test-server.js';
import { get, parseExposition, sampleValue } from '../support/metrics-scrape.js';
import { createTaskQueueApp, LOOPBACK_HTTP, workerHttpBase } from '../support/task-queue-app.js';

const QUEUES = Array.from({ length: 100 }, (_, i) => `scrape-cost-${i}`);

/**
 * What a scrape of 100 Redis queues costs the broker: one command (the queueStats-3.lua
 * EVALSHA), whatever the number of queues, bands, parked and dead-lettered messages, watched
 * with MONITOR on a private redis-server. Parked messages are counted from the parked-counts
 * hash, which park / promote keep and the scrape rebuilds when it no longer adds up.
 */
describe('scrape cost on Redis', () => {
  let server: PrivateRedisServer;
  let app: INestApplicationContext;
  let broker: Broker;
  let redis: Redis;
  let endpoint: string;

  beforeAll(async () => {
    server = await PrivateRedisServer.start();
    app = await createTaskQueueApp(
      {
        broker: server.url,
        resultBackend: false,
        defaultQueue: QUEUES[0],
        worker: { enabled: false, http: LOOPBACK_HTTP },
      },
      { imports: [TaskQueueMetricsModule.forRoot({ queues: QUEUES, path: false, tasks: false })] },
    );
    broker = app.get<Broker>(getBrokerToken());
    endpoint = `${workerHttpBase(app)}/metrics`;
    redis = new Redis(server.url);
  });

  afterAll(async () => {
    redis?.disconnect();
    await app?.close();
    await server?.destroy();
  });

  /** The commands clients sent while `action` ran (MONITOR; not those a script ran). */
  async function commandsDuring(action: () => Promise<unknown>): Promise<string[][]> {
    const monitor = await redis.monitor();
    const seen: string[][] = [];
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (source !== 'lua') seen.push(args);
    });
    // MONITOR streams what ran after it started: a PING marks the start and the end.
    await redis.ping('start');
    await action();
    await redis.ping('end');
    await new Promise<void>((resolve) => {
      const check = () =>
        seen.some((a) => a[0]?.toLowerCase() === 'ping' && a[1] === 'end')
          ? resolve()
          : setTimeout(check, 10);
      check();
    });
    monitor.disconnect();
    const start = seen.findIndex((a) => a[1] === 'start');
    const end = seen.findIndex((a) => a[1] === 'end');
    return seen.slice(start + 1, end);
  }

  it('reads 100 queues (every band, parked, dead letters) in one broker command', async () => {
    const due = new Date(Date.now() + 3_600_000);
    for (const [i, queue] of QUEUES.entries()) {
      for (const priority of [0, 3, 6, 9]) {
        await broker.publish(createTaskMessage({ name: 'any.task', priority }), {
          queue,
          priority,
        });
      }
      for (let parked = 0; parked < i % 3; parked++)
        await broker.publish(createTaskMessage({ name: 'any.task' }), { queue, notBefore: due });
      await broker.publish(createTaskMessage({ name: 'any.task' }), { queue: `${queue}.dlq` });
    }

    // The first call of a script in a Redis's life is an EVAL (NOSCRIPT): not the steady state.
    await broker.queueStats!(QUEUES);
    let body = '';
    const commands = await commandsDuring(async () => {
      const response = await get(endpoint);
      expect(response.status).toBe(200);
      body = response.body;
    });
    expect(commands.map((c) => c[0]!.toLowerCase())).toEqual(['evalsha']);
    // Each queue named once (the script names its band and dead-letter lists): 110 arguments
    // for 100 queues, not one per list (608, 34 KB to encode and parse at every scrape).
    expect(commands[0]!.length).toBe(2 + 3 + 1 + 4 + QUEUES.length + 1);

    const samples = parseExposition(body);
    for (const [i, queue] of QUEUES.entries()) {
      const q = { queue_name: queue };
      expect(sampleValue(samples, 'celeriac_queue_ready', q)).toBe(4);
      expect(sampleValue(samples, 'celeriac_queue_delayed', q)).toBe(i % 3);
      expect(sampleValue(samples, 'celeriac_queue_dead_letters', q)).toBe(1);
    }
  });

  it('keeps parked counts through promotion, and rebuilds them when they no longer add up', async () => {
    const queue = QUEUES[1]!;
    const stats = async () => (await broker.queueStats!([queue]))[0]!.delayed;
    expect(await stats()).toBe(1);
    // Removed by hand (as an older version's promotion would): the next read rebuilds.
    const [entry] = await redis.zrange('celeriac:delayed', '0', '0');
    await redis.zrem('celeriac:delayed', entry!);
    const total = await redis.zcard('celeriac:delayed');
    const counts = async () =>
      Object.values(await redis.hgetall('celeriac:delayed.counts')).reduce(
        (sum, n) => sum + Number(n),
        0,
      );
    expect(await counts()).toBe(total + 1);
    await broker.queueStats!(QUEUES);
    expect(await counts()).toBe(total);

    // A consumer's broker promotes due messages: the promoted one leaves the counts.
    const promoter = new RedisBroker(server.url);
    const consumer = await promoter.consume(['scrape-cost-idle'], () => undefined, { prefetch: 1 });
    try {
      const before = (await broker.queueStats!([queue]))[0]!;
      await broker.publish(createTaskMessage({ name: 'any.task' }), {
        queue,
        notBefore: new Date(Date.now() + 300),
      });
      expect(await stats()).toBe(before.delayed! + 1);
      await expect.poll(async () => (await broker.queueStats!([queue]))[0]!.ready).toBe(5);
      expect(await stats()).toBe(before.delayed);
      expect(await counts()).toBe(await redis.zcard('celeriac:delayed'));
    } finally {
      await consumer.cancel();
      await promoter.close();
    }
  });

  it('does not copy large messages into the script: their queue is counted, its age unknown', async () => {
    const [small, large, large2, after] = [QUEUES[10]!, QUEUES[11]!, QUEUES[12]!, QUEUES[13]!];
    // Their small messages of the first test gone: the large ones below are next in band 0.
    const bandLists = (queue: string) =>
      [0, 3, 6, 9].map((b) => (b ? `${queue}\x06\x16${b}` : queue));
    await redis.del(...bandLists(large), ...bandLists(large2));
    // Size checks (MEMORY USAGE) the script made, from INFO commandstats (calls in scripts too).
    const sizeChecks = async () =>
      Number(/cmdstat_memory\|usage:calls=(\d+)/.exec(await redis.info('commandstats'))?.[1] ?? 0);
    // Small messages only (the usual case): no size check at all.
    let checks = await sizeChecks();
    await broker.queueStats!(QUEUES);
    expect(await sizeChecks()).toBe(checks);

    // 200 KB of arguments: above the 64 KB a message may have to be peeked.
    for (const queue of [large, large2]) {
      for (let i = 0; i < 2; i++) {
        await broker.publish(createTaskMessage({ name: 'any.task', args: ['x'.repeat(200_000)] }), {
          queue,
        });
      }
    }
    checks = await sizeChecks();
    const [smallStats, largeStats, large2Stats, afterStats] = await broker.queueStats!([
      small,
      large,
      large2,
      after,
    ]);
    expect(smallStats!.oldest).toMatchObject({ sentAt: expect.any(Number) });
    expect(largeStats).toMatchObject({ ready: 2, oldest: null });
    // After the first large message, each non-empty band is checked before it is read (large2's
    // one, after's 4): large2's message is not copied, after's small ones are read.
    expect(large2Stats).toMatchObject({ ready: 2, oldest: null });
    expect(afterStats!.oldest).toMatchObject({ sentAt: expect.any(Number) });
    expect(await sizeChecks()).toBe(checks + 1 + 4);

    // A scrape may reuse the snapshot of one taken under 500 ms ago: wait for a fresh one.
    let samples: ReturnType<typeof parseExposition> = [];
    const ready = async () => {
      samples = parseExposition((await get(endpoint)).body);
      return sampleValue(samples, 'celeriac_queue_ready', { queue_name: large });
    };
    await expect.poll(ready, { interval: 100 }).toBe(2);
    const age = 'celeriac_queue_oldest_ready_age_seconds';
    expect(sampleValue(samples, age, { queue_name: small })).toBeGreaterThanOrEqual(0);
    expect(sampleValue(samples, age, { queue_name: large })).toBeUndefined();
    expect(sampleValue(samples, 'celeriac_queue_ready', { queue_name: large })).toBe(2);
  });

  it('names the head message without a send time by its task id, commas and all', async () => {
    const queue = 'scrape-cost-unstamped';
    // As a producer without the x-celeriac-sent-at header writes it (Python's Celery).
    const id = 'order,42,retry';
    const envelope = {
      body: Buffer.from('[[], {}, {}]').toString('base64'),
      'content-encoding': 'utf-8',
      'content-type': 'application/json',
      headers: { lang: 'py', task: 'any.task', id, root_id: id },
      properties: { delivery_tag: 'tag-1', delivery_info: { exchange: '', routing_key: queue } },
    };
    await redis.lpush(queue, JSON.stringify(envelope));
    const [stats] = await broker.queueStats!([queue]);
    expect(stats).toMatchObject({ ready: 1, oldest: { id } });
  });

  it('reads the send time from the header of that name only, not from a key ending like it', async () => {
    const queue = 'scrape-cost-lookalike';
    const sentAt = Date.now() - 60_000;
    const envelope = {
      body: Buffer.from('[[], {}, {}]').toString('base64'),
      'content-encoding': 'utf-8',
      'content-type': 'application/json',
      headers: {
        'my-x-celeriac-sent-at': 1,
        argsrepr: `('"x-celeriac-sent-at": 2',)`,
        id: 'lookalike',
        'x-celeriac-sent-at': sentAt,
      },
      properties: { delivery_tag: 'tag-2', delivery_info: { exchange: '', routing_key: queue } },
    };
    await redis.lpush(queue, JSON.stringify(envelope));
    const [stats] = await broker.queueStats!([queue]);
    expect(stats).toMatchObject({ ready: 1, oldest: { sentAt } });
  });

  it('reads the queues asked for when the list changes between calls, or in place', async () => {
    const [a, b, c] = ['scrape-cost-list-a', 'scrape-cost-list-b', 'scrape-cost-list-c'];
    for (const [queue, n] of [
      [a, 1],
      [b, 2],
      [c, 3],
    ] as const) {
      for (let i = 0; i < n; i++)
        await broker.publish(createTaskMessage({ name: 'any.task' }), { queue });
    }
    const ready = async (queues: string[]) =>
      (await broker.queueStats!(queues)).map((s) => [s.queue, s.ready]);
    const queues = [a, b];
    expect(await ready(queues)).toEqual([
      [a, 1],
      [b, 2],
    ]);
    expect(await ready([a, c])).toEqual([
      [a, 1],
      [c, 3],
    ]);
    queues[1] = c; // the caller's array, changed in place
    expect(await ready(queues)).toEqual([
      [a, 1],
      [c, 3],
    ]);
    expect(await ready([c])).toEqual([[c, 3]]);
  });
});
