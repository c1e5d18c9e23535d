import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { BrokerConnectionError } from '../../errors/broker-connection.error.js';
import { PublishOutcomeUnknownError } from '../../errors/publish-outcome-unknown.error.js';
import type {
  Broker,
  ConsumeOptions,
  Consumer,
  DeliveryHandler,
  ParkedMessage,
  PublishOptions,
} from '../../contracts/broker.interface.js';
import type { QueueStats } from '../../contracts/queue-stats.interface.js';
import type { TaskMessage } from '../../contracts/task-message.interface.js';
import { PIPELINED_BATCH, TickBatcher } from '../../utils/tick-batcher.js';
import {
  resolveRedisBrokerOptions,
  type RedisBrokerOptions,
  type ResolvedRedisBrokerOptions,
} from './redis-broker.options.js';
import { withSentinelOptions } from './redis-sentinel-url.js';
import { RedisBrokerScripts } from './redis-broker.scripts.js';
import {
  closeClient,
  createRedisClient,
  duplicateClient,
  redactUrl,
  unreachableCause,
} from './redis.connection.js';
import { ensureReady, waitUntilReady } from './redis-ready.js';
import { withTimeout } from '../../utils/with-timeout.js';
import { RedisConsumer } from './redis.consumer.js';
import { RedisRequeuer } from './redis-requeuer.js';
import { pingRedis } from './redis-ping.js';
import { encodeEntry, encodeEnvelope } from './redis-envelope.js';
import { readParked } from './redis-parked.js';
import { clampPriority, RedisKeyspace } from './redis-keys.js';
import { RedisMaintenance } from './redis-maintenance.js';
import { RedisPublisher } from './redis.publisher.js';
import { publishRouted } from './redis-exchange-publish.js';
import { RedisDirectBindings } from './redis-direct-bindings.js';

/** What to check when Redis is not reachable in time. */
const ADVICE = 'or raise the publishTimeout option';
/** The slowest write rate a publish is given time for: 10 MB/s (1 s more per 10 MB). */
const BYTES_PER_MS = 10_000;
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
  /** The URL, with a `sentinel://` URL's masterName / sentinelPassword options in its query. */
  private readonly url: string;
  private readonly options: ResolvedRedisBrokerOptions;
  private readonly keys: RedisKeyspace;
  private readonly client: Redis;
  private readonly scripts: RedisBrokerScripts;
  private readonly acks: TickBatcher<string>;
  private readonly requeuer: RedisRequeuer;
  private readonly maintenance: RedisMaintenance;
  private readonly publisher: RedisPublisher;
  private readonly consumers = new Set<RedisConsumer>();
  private readonly directBindings: RedisDirectBindings;
  private closed = false;

  /**
   * @param url `redis://[:password@]host:port/db`, or `sentinel://host:26379/0;sentinel://…` (as in
   *   Celery's `broker_url`).
   * @param options kombu transport options and Celeriac's timings.
   */
  constructor(url: string, options?: RedisBrokerOptions) {
    this.url = withSentinelOptions(url, options ?? {});
    this.options = resolveRedisBrokerOptions(options);
    this.keys = new RedisKeyspace(this.options);
    this.client = createRedisClient(this.url, 'broker', this.logger, this.options.tls);
    this.scripts = new RedisBrokerScripts(this.client, this.keys);
    this.directBindings = new RedisDirectBindings(this.client, this.logger);
    // Acks of one event-loop turn share ack-2.lua calls, sent as they fill.
    this.acks = new TickBatcher((tags) => this.scripts.ack(tags), PIPELINED_BATCH);
    this.requeuer = new RedisRequeuer(this.client, this.scripts, this.keys, this.logger, {
      timeoutMs: this.options.publishTimeout,
      visibilityTimeout: this.options.visibilityTimeout,
    });
    this.publisher = new RedisPublisher(this.client, (count, bytes, send) =>
      this.withRedis(count === 1 ? 'publish a task' : `publish ${count} tasks`, send, true, bytes),
    );
    this.maintenance = new RedisMaintenance(
      this.scripts,
      this.options,
      () => [...this.consumers].flatMap((consumer) => consumer.tags),
      this.logger,
    );
  }

  async connect(): Promise<void> {
    const failure = `Could not connect to Redis at ${redactUrl(this.url)}`;
    await ensureReady(this.client, this.options.publishTimeout, failure, ADVICE);
  }

  async publish(message: TaskMessage, options: PublishOptions): Promise<void> {
    try {
      await this.send(message, options);
    } catch (error) {
      if (error instanceof PublishOutcomeUnknownError)
        throw PublishOutcomeUnknownError.forTask(error, message.headers.id);
      throw error;
    }
  }

  private async send(message: TaskMessage, options: PublishOptions): Promise<void> {
    const queue = options.queue;
    const priority = clampPriority(options.priority ?? message.properties.priority);
    const due = options.notBefore?.getTime();
    const now = Date.now();
    const routed = options.exchange && options.routingKey && !(due !== undefined && due > now);
    if (routed) {
      const members = (exchange: string, what: string) =>
        this.withRedis(what, () => this.client.smembers(this.keys.bindingKey(exchange)));
      const closed = () => this.closed;
      const target = { keys: this.keys, publisher: this.publisher, members, closed };
      return publishRouted(target, message, options, priority);
    }
    const envelope = encodeEnvelope(message, {
      exchange: '',
      routingKey: queue,
      priority,
      deliveryTag: randomUUID(),
      sentAt: due !== undefined && due > now ? due : now,
    });
    // Celery declares each task queue bound to an exchange of the same name: kombu adds this
    // binding member on every connection (docs/protocol.md#redis-keys).
    const binding = this.keys.bindingKey(queue);
    const member = this.keys.bindingMember(queue, queue);
    if (due !== undefined && due > now) {
      await this.withRedis(
        `publish task ${message.headers.id} to queue "${queue}"`,
        () => this.scripts.park(binding, member, due, encodeEntry(envelope, '', queue)),
        true,
        envelope.length,
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

  /** kombu's `queue_bind` on Redis (`routingKey SEP SEP queue` in the set), again on reconnect. */
  async bindDirect(queue: string, exchange: string, routingKey: string): Promise<void> {
    await this.connect();
    const key = this.keys.bindingKey(exchange);
    const member = this.keys.bindingMember(routingKey, queue);
    await this.withRedis(`bind queue "${queue}" to exchange "${exchange}"`, () =>
      this.client.sadd(key, member),
    );
    this.directBindings.remember(key, member);
  }

  async consume(
    queues: string[],
    handler: DeliveryHandler,
    options: ConsumeOptions,
  ): Promise<Consumer> {
    await this.connect();
    const consumer = new RedisConsumer(queues, handler, Math.max(1, options.prefetch), {
      client: this.client,
      scripts: this.scripts,
      keys: this.keys,
      acks: this.acks,
      requeue: (tag) => this.requeuer.add(tag),
      logger: this.logger,
      batchSize: this.options.batchSize,
      wakeTimeout: this.options.wakeTimeout,
      blockingClient: () => this.blockingClient(),
      parked: (due) => this.maintenance.schedulePromotion(due),
      stopTimeoutMs: this.options.publishTimeout,
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

  /** PING on the command connection (1 s at most); rejects at once while it is not ready. */
  async ping(): Promise<void> {
    await pingRedis(this.client, this.url, (message) => new BrokerConnectionError(message));
  }

  /**
   * Counts of every queue in one EVALSHA (commands/queueStats-3.lua): all priority bands,
   * unacked and parked entries by queue, dead letters and the oldest ready message.
   */
  async queueStats(queues: string[]): Promise<QueueStats[]> {
    if (queues.length === 0) return [];
    return this.withRedis('read queue statistics', () => this.scripts.queueStats(queues));
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
    await Promise.all([...this.consumers].map((consumer) => consumer.cancel()));
    const tags = [...this.consumers].flatMap((consumer) => consumer.releaseAll());
    this.consumers.clear();
    await this.requeuer.giveBack(tags, this.acks);
    await published;
    await closeClient(this.client);
  }

  private blockingClient(): Redis {
    return duplicateClient(this.client, 'broker wake-up', 'celeriac-broker-wake');
  }

  /**
   * Run an operation once Redis is ready, bounded by publishTimeout in total, plus 1 s per
   * 10 MB sent (`bytes`: writing a large message takes time, even to a healthy Redis). When
   * Redis is not ready in time nothing was sent (BrokerConnectionError). Once the commands are
   * written, the client keeps them queued and resends them after a reconnect, so a publish
   * that gets no answer in time may still be applied: PublishOutcomeUnknownError.
   */
  private async withRedis<T>(
    what: string,
    operation: () => Promise<T>,
    publishes = false,
    bytes = 0,
  ): Promise<T> {
    const ready = this.options.publishTimeout;
    const limit = ready + Math.floor(bytes / BYTES_PER_MS);
    const started = Date.now();
    // Only for error messages: redacting parses the URL, which would cost every publish batch.
    const where = (): string => `Redis at ${redactUrl(this.url)}`;
    if (this.closed) throw new BrokerConnectionError(`Could not ${what}: the broker is closed.`);
    if (!(await waitUntilReady(this.client, ready))) {
      throw new BrokerConnectionError(
        `Could not ${what}: ${where()} was not reachable within ${ready} ms, nothing was sent` +
          unreachableCause(this.client, ADVICE),
      );
    }
    const noAnswer = () =>
      publishes
        ? new PublishOutcomeUnknownError(
            `Could not confirm that Redis stored the message(s) (${what}): ${where()} did not ` +
              `answer within ${limit} ms after they were sent. Outcome unknown: the client ` +
              `resends unanswered commands after a reconnect, so they may still be delivered. ` +
              `Retry with the same task id, and give the task dedupe: true.`,
          )
        : new BrokerConnectionError(
            `Could not ${what}: ${where()} did not answer within ${limit} ms. Check that Redis ` +
              `is running and reachable, or raise the publishTimeout option.`,
          );
    return withTimeout(operation(), limit - (Date.now() - started), noAnswer);
  }
}
