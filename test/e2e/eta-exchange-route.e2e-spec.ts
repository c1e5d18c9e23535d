import { Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { connect } from 'amqplib';
import { Redis } from 'ioredis';
import { Task, TaskClient, TaskContext } from 'celeriac';
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../libs/task-queue/src/__fixtures__/create-app.js';
import { createTestVhost, type AmqpTestVhost } from '../support/amqp-vhost.js';
import { deleteKeys, REDIS_URL } from '../support/redis-test-server.js';

/**
 * A task sent to a direct exchange with a routing key (apply_async(exchange=..., routing_key=...)
 * with a countdown), to a queue bound only through that exchange. Celery's worker holds an
 * ETA task in memory, so the task runs with the delivery_info it was delivered with: the
 * exchange and the routing key. A Celeriac worker parks an ETA beyond 2 s in the broker instead;
 * the copy that comes back when due must still run once, on time, in that queue, with that
 * exchange and routing key as its deliveryInfo (what Celery's retry routes by).
 */
interface Run {
  exchange: string;
  routingKey: string;
  at: number;
}

@Injectable()
class RoutedTasks {
  static readonly runs = new Map<string, Run[]>();
  constructor(private readonly context: TaskContext) {}

  @Task('etaroute.where', { ignoreResult: true })
  where(key: string): void {
    const { exchange, routingKey } = this.context.deliveryInfo;
    const runs = RoutedTasks.runs.get(key) ?? [];
    runs.push({ exchange, routingKey, at: Date.now() });
    RoutedTasks.runs.set(key, runs);
  }
}

@Module({ providers: [RoutedTasks] })
class RoutedModule {}

let vhost: AmqpTestVhost | undefined;
let app: INestApplicationContext | undefined;
const tag = `etaroute-${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  vhost = await createTestVhost('celeriac-eta-route');
}, 60_000);
afterEach(async () => {
  await app?.close();
  app = undefined;
});
afterAll(async () => {
  await vhost?.dispose();
  const keys = ['redis-q', 'redis-default', 'redis-ex'].map((k) => `${tag}-${k}`);
  await deleteKeys(REDIS_URL, ...keys, ...keys.map((k) => `_kombu.binding.${k}`));
});

/** Bind `queue` to the direct exchange `exchange` with `key`, as kombu's queue_bind does. */
async function bind(transport: string, queue: string, exchange: string, key: string) {
  if (transport === 'amqp') {
    const admin = await connect(vhost!.url);
    try {
      const channel = await admin.createChannel();
      await channel.assertExchange(exchange, 'direct', { durable: true });
      await channel.bindQueue(queue, exchange, key);
    } finally {
      await admin.close();
    }
  } else {
    const redis = new Redis(REDIS_URL);
    try {
      await redis.sadd(`_kombu.binding.${exchange}`, `${key}\x06\x16\x06\x16${queue}`);
    } finally {
      redis.disconnect();
    }
  }
}

describe.each(['amqp', 'redis'])('an ETA task sent to an exchange on %s', (transport) => {
  it('runs once when due, with that exchange and routing key, parked or held', async () => {
    const [queue, exchange] = [`${tag}-${transport}-q`, `${tag}-${transport}-ex`];
    app = await createApp(
      {
        broker: transport === 'amqp' ? vhost!.url : REDIS_URL,
        resultBackend: false,
        defaultQueue: `${tag}-${transport}-default`,
        worker: { queues: [queue], concurrency: 2 },
      },
      [RoutedModule],
    );
    await bind(transport, queue, exchange, 'reports.daily');
    const client = app.get(TaskClient);
    const routed = { exchange, routingKey: 'reports.daily' };
    const sent = Date.now();
    // 4 s: beyond the 2 s a worker holds, so parked in the broker; 1 s: held in memory.
    await client.send('etaroute.where', [`${transport}-parked`], {}, { ...routed, countdown: 4 });
    await client.send('etaroute.where', [`${transport}-held`], {}, { ...routed, countdown: 1 });
    const runs = (key: string) => RoutedTasks.runs.get(`${transport}-${key}`) ?? [];
    await expect.poll(() => runs('parked').length, { timeout: 20_000 }).toBe(1);
    expect(runs('held')).toHaveLength(1);
    for (const [key, countdown] of [
      ['held', 1_000],
      ['parked', 4_000],
    ] as const) {
      const [run] = runs(key);
      expect({ key, exchange: run!.exchange, routingKey: run!.routingKey }).toEqual({
        key,
        ...routed,
      });
      expect(run!.at - sent).toBeGreaterThanOrEqual(countdown - 50);
    }
  }, 40_000);
});
