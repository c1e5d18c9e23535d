import type { INestApplicationContext } from '@nestjs/common';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Broker, type Consumer, type Delivery, TaskClient, getBrokerToken } from 'celeriac';
import { createTaskMessage } from 'celeriac/protocol';
import { RedisBroker } from 'celeriac/redis';
import { TaskQueueMetricsModule } from 'celeriac/prometheus';
import { deleteKeys, REDIS_URL } from '../support/redis-test-server.js';
import { get, parseExposition, sampleValue } from '../support/metrics-scrape.js';
import { createTaskQueueApp, LOOPBACK_HTTP, workerHttpBase } from '../support/task-queue-app.js';

/**
 * Queue statistics on Redis, read by one Lua script, and the metrics a worker-only process
 * serves on its `worker.http` server: every priority band, unacked deliveries of another
 * consumer, parked ETA messages, dead letters and the oldest message's age.
 */
describe('queue metrics on Redis', () => {
  const queue = `metrics-${randomUUID()}`;
  const other = `${queue}-other`;
  let app: INestApplicationContext;
  let base: string;
  let consumerBroker: RedisBroker;
  let consumer: Consumer | undefined;
  const held: Delivery[] = [];

  beforeAll(async () => {
    app = await createTaskQueueApp(
      {
        broker: REDIS_URL,
        resultBackend: false,
        defaultQueue: queue,
        // Consumes `other` only: the ground truth of `queue` is only what the test puts there.
        worker: { queues: [other], http: LOOPBACK_HTTP },
      },
      { imports: [TaskQueueMetricsModule.forRoot({ queues: [queue, other], path: false })] },
    );
    base = workerHttpBase(app);
    consumerBroker = new RedisBroker(REDIS_URL);
  });

  afterAll(async () => {
    await consumer?.cancel();
    await consumerBroker?.close();
    await app?.close();
    await deleteKeys(
      REDIS_URL,
      ...[queue, `${queue}.dlq`].flatMap((q) => [
        q,
        `${q}\x06\x163`,
        `${q}\x06\x166`,
        `${q}\x06\x169`,
      ]),
      `_kombu.binding.${queue}`,
      `_kombu.binding.${queue}.dlq`,
      `_kombu.binding.${other}`,
    );
  });

  it('counts every band, unacked, delayed, dead letters and the oldest age in one call', async () => {
    const broker = app.get<Broker>(getBrokerToken());
    const client = app.get(TaskClient);
    const firstSent = Date.now();
    for (const priority of [0, 3, 6, 9, 9])
      await client.send('any.task', [], {}, { queue, priority });
    // Two of another consumer's deliveries stay unacked.
    for (let i = 0; i < 2; i++) await client.send('any.task', [], {}, { queue, priority: 0 });
    consumer = await consumerBroker.consume([queue], (d) => held.push(d), { prefetch: 2 });
    await expect.poll(() => held.length).toBe(2);
    // Parked until due (what a worker does with a far ETA, or a publish with notBefore).
    const due = new Date(Date.now() + 600_000);
    await broker.publish(createTaskMessage({ name: 'any.task', eta: due }), {
      queue,
      notBefore: due,
    });
    await client.send('any.task', [], {}, { queue: `${queue}.dlq` });

    const [stats] = await broker.queueStats!([queue]);
    expect(stats).toMatchObject({ queue, ready: 5, unacked: 2, delayed: 1, deadLetters: 1 });
    // The oldest ready message is one of the first ones: the priority-0 band's head.
    expect(stats!.oldest).toEqual({ sentAt: expect.any(Number) });
    const sentAt = (stats!.oldest as { sentAt: number }).sentAt;
    expect(sentAt).toBeGreaterThanOrEqual(firstSent);
    expect(sentAt).toBeLessThanOrEqual(Date.now());

    const { status, body } = await get(`${base}/metrics`);
    expect(status).toBe(200);
    const samples = parseExposition(body);
    const q = { queue_name: queue };
    expect(sampleValue(samples, 'celeriac_queue_ready', q)).toBe(5);
    expect(sampleValue(samples, 'celery_queue_length', q)).toBe(5);
    expect(sampleValue(samples, 'celeriac_queue_unacked', q)).toBe(2);
    expect(sampleValue(samples, 'celeriac_queue_delayed', q)).toBe(1);
    expect(sampleValue(samples, 'celeriac_queue_dead_letters', q)).toBe(1);
    const age = sampleValue(samples, 'celeriac_queue_oldest_ready_age_seconds', q)!;
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThanOrEqual((Date.now() - sentAt) / 1000 + 0.001);
    expect(sampleValue(samples, 'celeriac_queue_ready', { queue_name: other })).toBe(0);
    expect(
      sampleValue(samples, 'celeriac_queue_oldest_ready_age_seconds', { queue_name: other }),
    ).toBe(0);
    expect(sampleValue(samples, 'celeriac_worker_slots', { state: 'free' })).toBe(10);
    expect(
      sampleValue(samples, 'celery_task_sent_total', { name: 'any.task', queue_name: queue }),
    ).toBe(7);
  });

  it('serves liveness and readiness', async () => {
    const live = await get(`${base}/health/live`);
    expect(live.status).toBe(200);
    const ready = await get(`${base}/health/ready`);
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toMatchObject({
      status: 'ok',
      info: { broker: { status: 'up' }, consumer: { status: 'up', consuming: true } },
    });
    expect((await get(`${base}/nothing`)).status).toBe(404);
  });
});

describe('a due parked message while no worker runs', () => {
  const idle = `metrics-idle-${randomUUID()}`;
  // Its own parked set: the shared one is promoted by every consuming test process.
  const keyPrefix = `metrics-idle-${randomUUID()}:`;
  const broker = new RedisBroker(REDIS_URL, { keyPrefix });
  const redis = new Redis(REDIS_URL);

  afterAll(async () => {
    await broker.close();
    await redis.del(`${keyPrefix}delayed`, `${keyPrefix}delayed.counts`, idle);
    redis.disconnect();
  });

  it('counts it as ready, aged from its due time', async () => {
    // A worker parked it (a retry countdown, a far ETA), then the fleet scaled to zero, so
    // nothing moves it back to its queue. Was: delayed 1 and ready 0 for ever, so an
    // autoscaler on ready (KEDA from zero) never started a worker to run it.
    const later = new Date(Date.now() + 600_000);
    await broker.publish(createTaskMessage({ name: 'any.task', eta: later }), {
      queue: idle,
      notBefore: later,
    });
    expect(await broker.queueStats([idle])).toMatchObject([{ ready: 0, delayed: 1 }]);
    // Its due time passes (set back, rather than waiting).
    const due = Date.now() - 5_000;
    const [entry] = await redis.zrange(`${keyPrefix}delayed`, '0', '-1');
    await redis.zadd(`${keyPrefix}delayed`, String(due), entry!);
    const [stats] = await broker.queueStats([idle]);
    expect(stats).toMatchObject({ queue: idle, ready: 1, delayed: 0, oldest: { sentAt: due } });
  });
});
