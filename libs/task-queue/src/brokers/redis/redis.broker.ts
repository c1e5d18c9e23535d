import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { BrokerConnectionError } from '../../errors/broker-connection.error.js';
import type {
  Broker,
  ConsumeOptions,
  Consumer,
  DeliveryHandler,
  ParkedMessage,
  PublishOptions,
} from '../../interfaces/broker.interface.js';
import type { TaskMessage } from '../../interfaces/task-message.interface.js';
import { PIPELINED_BATCH, TickBatcher } from '../../utils/tick-batcher.js';
import {
  resolveRedisBrokerOptions,
  type RedisBrokerOptions,
  type ResolvedRedisBrokerOptions,
} from './redis-broker.options.js';
import { RedisBrokerScripts } from './redis-broker.scripts.js';
import {
  closeClient,
  createRedisClient,
  redactUrl,
  waitUntilReady,
  withTimeout,
} from './redis-connection.js';
import { RedisConsumer } from './redis-consumer.js';
import { encodeEntry, encodeEnvelope } from './redis-envelope.js';
import { readParked } from './redis-parked.js';
import { clampPriority, RedisKeyspace } from './redis-keys.js';
import { RedisMaintenance } from './redis-maintenance.js';
import { RedisPublisher } from './redis-publisher.js';

/**
 * The Redis broker, wire-compatible with kombu's Redis transport (Celery 5): the same
 * envelope, lists, priority bands, bindings and ack emulation (`unacked`, `unacked_index`,
 * `unacked_mutex`), so Python producers and workers share queues with Celeriac. On top of
 * kombu it fetches and records atomically (nothing is lost if a worker is killed), renews the
 * lease of live deliveries, and parks ETA / notBefore messages in Redis until they are due.
 * See docs/protocol.md#redis-transport.
 * @publicApi
 */
export class RedisBroker implements Broker {
  readonly transport = 'redis';
  readonly priorityOrder = 'lower-first' as const;
  private readonly logger = new Logger('RedisBroker');
  private readonly options: ResolvedRedisBrokerOptions;
  private readonly keys: RedisKeyspace;
  private readonly client: Redis;
  private readonly scripts: RedisBrokerScripts;
  private readonly acks: TickBatcher<string>;
  private readonly maintenance: RedisMaintenance;
  private readonly publisher: RedisPublisher;
  private readonly consumers = new Set<RedisConsumer>();
  private closed = false;

  /**
   * @param url `redis://[:password@]host:port/db` (as in Celery's `broker_url`).
   * @param options kombu transport options and Celeriac's timings.
   */
  constructor(
    private readonly url: string,
    options?: RedisBrokerOptions,
  ) {
    this.options = resolveRedisBrokerOptions(options);
    this.keys = new RedisKeyspace(this.options);
    this.client = createRedisClient(url, 'broker', this.logger);
    this.scripts = new RedisBrokerScripts(this.client, this.keys);
    // Acks of one event-loop turn share ack-2.lua calls, sent as they fill.
    this.acks = new TickBatcher((tags) => this.scripts.ack(tags), PIPELINED_BATCH);
    this.publisher = new RedisPublisher(this.client, (count, send) =>
      this.withRedis(count === 1 ? 'publish a task' : `publish ${count} tasks`, send),
    );
    this.maintenance = new RedisMaintenance(
      this.scripts,
      this.options,
      () => [...this.consumers].flatMap((consumer) => consumer.tags),
      this.logger,
    );
  }

  async connect(): Promise<void> {
    if (await waitUntilReady(this.client, this.options.publishTimeout)) return;
    throw new BrokerConnectionError(
      `Could not connect to Redis at ${redactUrl(this.url)} within ${this.options.publishTimeout} ms. ` +
        `Check that Redis is running and reachable, or raise the publishTimeout option.`,
    );
  }

  async publish(message: TaskMessage, options: PublishOptions): Promise<void> {
    const queue = options.queue;
    const priority = clampPriority(options.priority ?? message.properties.priority);
    const envelope = encodeEnvelope(message, {
      exchange: '',
      routingKey: queue,
      priority,
      deliveryTag: randomUUID(),
    });
    // Celery declares each task queue bound to an exchange of the same name: kombu adds this
    // binding member on every connection (docs/protocol.md#redis-keys).
    const binding = this.keys.bindingKey(queue);
    const member = this.keys.bindingMember(queue, queue);
    const due = options.notBefore?.getTime();
    if (due !== undefined && due > Date.now()) {
      await this.withRedis(`publish task ${message.headers.id} to queue "${queue}"`, () =>
        this.scripts.park(binding, member, due, encodeEntry(envelope, '', queue)),
      );
      this.maintenance.schedulePromotion(due);
      return;
    }
    // Publishes of the same event-loop turn share one pipeline (one write, one round trip).
    if (this.closed) throw new BrokerConnectionError(`Could not publish: the broker is closed.`);
    await this.publisher.publish({
      bindingKey: binding,
      bindingMember: member,
      listKey: this.keys.listKey(queue, priority),
      envelope,
    });
    if (due !== undefined) this.maintenance.schedulePromotion(due);
  }

  async consume(
    queues: string[],
    handler: DeliveryHandler,
    options: ConsumeOptions,
  ): Promise<Consumer> {
    await this.connect();
    const consumer = new RedisConsumer(queues, handler, Math.max(1, options.prefetch), {
      scripts: this.scripts,
      keys: this.keys,
      acks: this.acks,
      logger: this.logger,
      batchSize: this.options.batchSize,
      wakeTimeout: this.options.wakeTimeout,
      blockingClient: () => this.blockingClient(),
      parked: (due) => this.maintenance.schedulePromotion(due),
    });
    this.consumers.add(consumer);
    this.maintenance.start();
    consumer.start();
    return consumer;
  }

  async purge(queue: string): Promise<number> {
    return this.withRedis(`purge queue "${queue}"`, () =>
      this.scripts.purge(this.keys.listKeys(queue)),
    );
  }

  async queueLength(queue: string): Promise<number> {
    return this.withRedis(`count queue "${queue}"`, async () => {
      const pipeline = this.client.pipeline();
      for (const key of this.keys.listKeys(queue)) pipeline.llen(key);
      const replies = (await pipeline.exec()) ?? [];
      return replies.reduce((sum, [error, length]) => {
        if (error) throw error;
        return sum + Number(length);
      }, 0);
    });
  }

  /** Messages parked in the delayed zset for `queues`, earliest first (`inspect scheduled`). */
  async parked(queues: string[], limit: number): Promise<ParkedMessage[]> {
    return this.withRedis('list parked messages', () =>
      readParked(this.client, this.keys.delayed, new Set(queues), limit),
    );
  }

  /**
   * Stop consuming and give this process's unsettled deliveries back to the front of their
   * queues at once (like a Python worker's warm shutdown), then disconnect.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    const published = this.publisher.flush();
    this.closed = true;
    this.maintenance.stop();
    for (const consumer of this.consumers) await consumer.cancel();
    const tags = [...this.consumers].flatMap((consumer) => consumer.releaseAll());
    this.consumers.clear();
    await this.give(tags);
    await published;
    await closeClient(this.client);
  }

  private async give(tags: string[]): Promise<void> {
    const wait = this.options.publishTimeout;
    try {
      await withTimeout(
        (async () => {
          await this.acks.flush();
          if (tags.length === 0) return;
          this.logger.log(`Restoring ${tags.length} unacknowledged message(s) to their queues.`);
          await this.scripts.requeue(tags, false);
        })(),
        wait,
        () => new Error(`Redis did not answer within ${wait} ms`),
      );
    } catch (error) {
      if (tags.length === 0) return;
      this.logger.warn(
        `Could not give back ${tags.length} unacknowledged message(s) on close: ${(error as Error).message}. ` +
          `They stay in "${this.keys.unacked}" and any worker restores them after the ` +
          `visibility timeout (${this.options.visibilityTimeout} s).`,
      );
    }
  }

  private blockingClient(): Redis {
    const client = this.client.duplicate({ connectionName: 'celeriac-broker-wake' });
    // The main connection already reports outages; wake-ups just wait for Redis to return.
    client.on('error', () => undefined);
    return client;
  }

  /** Run an operation once Redis is ready, bounded by publishTimeout in total. */
  private async withRedis<T>(what: string, operation: () => Promise<T>): Promise<T> {
    const limit = this.options.publishTimeout;
    const started = Date.now();
    const unreachable = () =>
      new BrokerConnectionError(
        `Could not ${what}: Redis at ${redactUrl(this.url)} did not answer within ${limit} ms. ` +
          `Check that Redis is running and reachable, or raise the publishTimeout option.`,
      );
    if (this.closed) throw new BrokerConnectionError(`Could not ${what}: the broker is closed.`);
    if (!(await waitUntilReady(this.client, limit))) throw unreachable();
    return withTimeout(operation(), limit - (Date.now() - started), unreachable);
  }
}
