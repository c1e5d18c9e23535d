import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Broker, type Consumer, type Delivery, getBrokerToken } from 'celeriac';
import { createTaskMessage } from 'celeriac/protocol';
import { AmqpBroker } from 'celeriac/amqp';
import { RedisBroker } from 'celeriac/redis';
import { AppModule } from '../../apps/demo/src/app.module.js';
import { deleteKeys, REDIS_URL } from '../support/redis-test-server.js';
import { get } from '../support/metrics-scrape.js';
import {
  ensurePrometheus,
  PrometheusServer,
  promtoolCheckMetrics,
} from '../support/prometheus-server.js';

const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';

/**
 * A real Prometheus (Debian's) scrapes the demo app's `/metrics`; PromQL answers equal the
 * ground truth the test builds in the broker: ready messages in every priority band,
 * another consumer's unacked deliveries, parked ETA messages, dead letters and the oldest
 * message's age (Redis); what AMQP can tell (RabbitMQ). `promtool check metrics` is clean.
 */
describe('Prometheus scraping the demo', () => {
  let prometheus: PrometheusServer | undefined;
  let app: INestApplication | undefined;
  const cleanups: (() => Promise<unknown>)[] = [];
  const saved = { ...process.env };

  beforeAll(() => ensurePrometheus(), 300_000);
  afterEach(async () => {
    await prometheus?.stop();
    await app?.close();
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
    process.env = { ...saved };
  });

  /** The demo as an API process (producer-only) whose first queue is `queue`, and Prometheus. */
  async function demo(broker: string, queue: string): Promise<{ base: string; broker: Broker }> {
    Object.assign(process.env, {
      CELERIAC_BROKER: broker,
      CELERIAC_QUEUES: queue,
      CELERIAC_WORKER: '0',
      CELERIAC_BEAT: '0',
      CELERIAC_BEAT_STORE: 'memory://',
    });
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication({ logger: ['error'] });
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as { port: number };
    prometheus = await PrometheusServer.start([`127.0.0.1:${port}`]);
    return { base: `http://127.0.0.1:${port}`, broker: app.get<Broker>(getBrokerToken()) };
  }

  /** Wait for a scrape taken after now, then the instant value of `promql`. */
  async function scraped(promql: string): Promise<number | undefined> {
    const after = Date.now() / 1000;
    await expect
      .poll(async () => (await prometheus!.value(`timestamp(${promql})`)) ?? 0, {
        timeout: 10_000,
      })
      .toBeGreaterThan(after);
    return prometheus!.value(promql);
  }

  it('Redis: ready in every band, unacked, delayed, dead letters and oldest age', async () => {
    const queue = `prom-${randomUUID()}`;
    cleanups.push(() => deleteKeys(REDIS_URL, queue, `_kombu.binding.${queue}`));
    const { base, broker } = await demo(REDIS_URL, queue);
    const task = (priority = 0) => createTaskMessage({ name: 'orders.process', priority });

    for (const priority of [0, 0, 3, 5, 6, 9, 9, 9])
      await broker.publish(task(priority), { queue, priority });
    // Another worker holds three deliveries unacked.
    const other = new RedisBroker(REDIS_URL);
    const held: Delivery[] = [];
    const consumer: Consumer = await other.consume([queue], (d) => held.push(d), { prefetch: 3 });
    cleanups.push(
      () => other.close(),
      () => consumer.cancel(),
    );
    await expect.poll(() => held.length).toBe(3);
    const due = new Date(Date.now() + 3_600_000);
    for (let i = 0; i < 2; i++) await broker.publish(task(), { queue, notBefore: due });
    for (let i = 0; i < 4; i++) await broker.publish(task(), { queue: `${queue}.dlq` });

    // Ground truth, read from Redis directly.
    const redis = new Redis(REDIS_URL);
    cleanups.push(async () => redis.disconnect());
    const bands = [queue, `${queue}\x06\x163`, `${queue}\x06\x166`, `${queue}\x06\x169`];
    const ready = (await Promise.all(bands.map((k) => redis.llen(k)))).reduce((a, b) => a + b);
    const tails = await Promise.all(bands.map((k) => redis.lindex(k, -1)));
    const oldestSentAt = Math.min(
      ...tails
        .filter((t): t is string => t !== null)
        .map((t) => JSON.parse(t).headers['x-celeriac-sent-at'] as number),
    );
    expect(ready).toBe(5);

    const q = `{queue_name="${queue}"}`;
    expect(await scraped(`celeriac_queue_ready${q}`)).toBe(ready);
    expect(await prometheus!.value(`celery_queue_length${q}`)).toBe(ready);
    expect(await prometheus!.value(`celeriac_queue_unacked${q}`)).toBe(3);
    expect(await prometheus!.value(`celeriac_queue_delayed${q}`)).toBe(2);
    expect(await prometheus!.value(`celeriac_queue_dead_letters${q}`)).toBe(4);
    const [age] = await prometheus!.query(`celeriac_queue_oldest_ready_age_seconds${q}`);
    const sampledAt = (await prometheus!.value(
      `timestamp(celeriac_queue_oldest_ready_age_seconds${q})`,
    ))!;
    // The age at the scrape, within a second of the truth at the sample's timestamp.
    expect(Math.abs(age!.value - (sampledAt - oldestSentAt / 1000))).toBeLessThanOrEqual(1);
    // The autoscaling backlog the HPA uses (deploy/k8s/prometheus-adapter).
    expect(
      await prometheus!.value(
        `max by (queue_name) (celeriac_queue_ready${q}) + max by (queue_name) (celeriac_queue_unacked${q})`,
      ),
    ).toBe(8);

    const targets = await prometheus!.targets();
    expect(targets.map((t) => [t.health, t.lastError])).toEqual([['up', '']]);
    const { body } = await get(`${base}/metrics`);
    expect(promtoolCheckMetrics(body)).toBe('');
  });

  it('RabbitMQ: ready in every priority and dead letters; no unacked, delayed or age series', async () => {
    const queue = `prom-${randomUUID()}`;
    const { base, broker } = await demo(AMQP_URL, queue);
    const amqp = broker as AmqpBroker;
    cleanups.push(
      () => amqp.purge(queue),
      () => amqp.purge(`${queue}.dlq`),
    );
    for (const priority of [0, 3, 9]) {
      await broker.publish(createTaskMessage({ name: 'orders.process', priority }), {
        queue,
        priority,
      });
    }
    for (let i = 0; i < 2; i++)
      await broker.publish(createTaskMessage({ name: 'x' }), { queue: `${queue}.dlq` });
    const truth = new AmqpBroker(AMQP_URL);
    cleanups.push(() => truth.close());
    expect(await truth.queueLength(queue)).toBe(3);

    const q = `{queue_name="${queue}"}`;
    expect(await scraped(`celeriac_queue_ready${q}`)).toBe(3);
    expect(await prometheus!.value(`celeriac_queue_dead_letters${q}`)).toBe(2);
    expect(await prometheus!.value(`celeriac_queue_consumers${q}`)).toBe(0);
    expect(await prometheus!.query(`celeriac_queue_unacked${q}`)).toEqual([]);
    expect(await prometheus!.query(`celeriac_queue_delayed${q}`)).toEqual([]);
    expect(await prometheus!.query(`celeriac_queue_oldest_ready_age_seconds${q}`)).toEqual([]);
    const { body } = await get(`${base}/metrics`);
    expect(promtoolCheckMetrics(body)).toBe('');
  });
});
