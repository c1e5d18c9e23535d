import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import {
  answerWithin,
  closeClient,
  createRedisClient,
  duplicateClient,
  redactUrl,
} from './redis.connection.js';
import { ensureReady } from './redis-ready.js';

import { BrokerConnectionError } from '../../errors/broker-connection.error.js';
import type {
  BroadcastTransport,
  ExchangeSpec,
  ExchangeSubscription,
  IncomingMessage,
  OutgoingMessage,
  ReplyQueue,
  SubscriptionSpec,
} from '../../contracts/broadcast-transport.interface.js';
import { REPLY_EXCHANGE, replyQueue } from '../../broadcast/pidbox.names.js';
import { decodeBroadcastEnvelope, encodeBroadcastEnvelope } from './redis-broadcast.envelope.js';
import { RedisReplyQueue } from './redis-reply.queue.js';
import { dbOf } from './redis-url.js';

/** Where the transport lives; kombu transport options keep kombu's names (docs/protocol.md#redis-transport-options). */
export interface RedisBroadcastOptions {
  url: string;
  globalKeyprefix?: string;
  sep?: string;
  prioritySteps?: number[];
}

type Handler = (message: IncomingMessage) => void;

/**
 * Longest wait for Redis's answer to an event, a control reply or a clean-up: the client keeps
 * commands queued through an outage, and an unbounded wait held a worker's shutdown for as long
 * as Redis stayed down.
 */
const ANSWER_TIMEOUT_MS = 5_000;

/**
 * Events and remote control over Redis, exactly as kombu lays them out (docs/protocol.md#redis-fanout,
 * #pidbox-topology): fanout
 * and topic exchanges are `PUBLISH /{db}.<exchange>[/<routing_key>]` and `PSUBSCRIBE`; direct
 * exchanges (replies) look up `_kombu.binding.<exchange>` and LPUSH to the bound lists.
 * @publicApi
 */
export class RedisBroadcastTransport implements BroadcastTransport {
  readonly kind = 'redis';
  private readonly logger = new Logger('CeleryControl');
  private readonly client: Redis;
  private subscriber?: Redis;
  private readonly handlers = new Map<string, Set<Handler>>();
  private readonly replies = new Set<RedisReplyQueue>();
  private readonly g: string;
  private readonly sep: string;
  private readonly steps: number[];
  private readonly fanoutPrefix: string;

  constructor(private readonly options: RedisBroadcastOptions) {
    this.g = options.globalKeyprefix ?? '';
    this.sep = options.sep ?? '\x06\x16';
    this.steps = options.prioritySteps ?? [0, 3, 6, 9];
    this.fanoutPrefix = `/${dbOf(options.url)}.`;
    this.client = createRedisClient(options.url, 'control', this.logger);
  }

  async publish(exchange: ExchangeSpec, routingKey: string, message: OutgoingMessage) {
    const envelope = encodeBroadcastEnvelope(message, exchange.name, routingKey);
    await this.answered(`publish to "${exchange.name}"`, async () => {
      if (exchange.type !== 'direct') {
        await this.client.publish(this.channel(exchange.name, routingKey), envelope);
        return;
      }
      const members = await this.client.smembers(this.bindingKey(exchange.name));
      const queues = members
        .map((member) => member.split(this.sep))
        .filter(([key]) => key === routingKey)
        .map((parts) => parts[parts.length - 1]!);
      for (const queue of queues) await this.client.lpush(`${this.g}${queue}`, envelope);
    });
  }

  /**
   * `operation()`, failing with BrokerConnectionError when Redis does not answer in time, or at
   * once during an outage of `client` or a stall of its server (the command stays queued until
   * Redis is back).
   */
  private answered<T>(
    what: string,
    operation: () => Promise<T>,
    client: Redis = this.client,
  ): Promise<T> {
    const where = `Redis at ${redactUrl(this.options.url)}`;
    return answerWithin(
      client,
      operation(),
      ANSWER_TIMEOUT_MS,
      (reason) => new BrokerConnectionError(`Could not ${what}: ${where} ${reason}`),
    );
  }

  /**
   * Fail with BrokerConnectionError unless Redis is reachable within the answer timeout: a
   * caller waiting for replies (`inspect`) would otherwise wait for as long as Redis is away.
   * (Subscriptions still wait: a worker's remote control resumes by itself once Redis is back.)
   */
  private ready(what: string): Promise<void> {
    const failure = `Could not ${what}: could not connect to Redis at ${redactUrl(this.options.url)}`;
    return ensureReady(
      this.client,
      ANSWER_TIMEOUT_MS,
      failure,
      "and that the broker's URL is right",
    );
  }

  async subscribe(spec: SubscriptionSpec, handler: Handler): Promise<ExchangeSubscription> {
    const pattern = this.channel(spec.exchange.name, spec.bindingKey.replace(/#/g, '*'));
    const member = `${spec.bindingKey}${this.sep}${this.sep}${spec.queue}`;
    await this.client.sadd(this.bindingKey(spec.exchange.name), member);
    const subscriber = this.ensureSubscriber();
    let set = this.handlers.get(pattern);
    if (!set) {
      set = new Set();
      this.handlers.set(pattern, set);
      await subscriber.psubscribe(pattern);
    }
    set.add(handler);
    return {
      cancel: async () => {
        set.delete(handler);
        if (set.size === 0) {
          this.handlers.delete(pattern);
          await this.answered(
            'unsubscribe',
            () => subscriber.punsubscribe(pattern),
            subscriber,
          ).catch(() => undefined);
        }
        await this.answered('remove the binding', () =>
          this.client
            .multi()
            .srem(this.bindingKey(spec.exchange.name), member)
            .del(...this.listKeys(spec.queue))
            .exec(),
        ).catch(() => undefined);
      },
    };
  }

  async openReplyQueue(oid: string): Promise<ReplyQueue> {
    const queue = replyQueue(oid);
    const binding = this.bindingKey(REPLY_EXCHANGE.name);
    const member = `${oid}${this.sep}${this.sep}${queue}`;
    await this.ready('open a reply queue');
    await this.answered('open a reply queue', () => this.client.sadd(binding, member));
    const blocking = duplicateClient(this.client, 'control reply', 'celeriac-control-reply');
    const reply = new RedisReplyQueue(oid, blocking, this.listKeys(queue), async () => {
      this.replies.delete(reply);
      await this.answered('remove the reply queue', () =>
        this.client
          .multi()
          .srem(binding, member)
          .del(...this.listKeys(queue))
          .exec(),
      ).catch(() => undefined);
    });
    this.replies.add(reply);
    return reply;
  }

  async close(): Promise<void> {
    for (const reply of [...this.replies]) await reply.close().catch(() => undefined);
    this.handlers.clear();
    if (this.subscriber) await closeClient(this.subscriber);
    await closeClient(this.client);
  }

  private ensureSubscriber(): Redis {
    if (this.subscriber) return this.subscriber;
    const subscriber = duplicateClient(this.client, 'control subscriber', 'celeriac-control-sub');
    subscriber.on('pmessageBuffer', (pattern: Buffer, channel: Buffer, payload: Buffer) =>
      this.dispatch(pattern.toString(), channel.toString(), payload.toString('utf8')),
    );
    this.subscriber = subscriber;
    return subscriber;
  }

  private dispatch(pattern: string, channel: string, payload: string): void {
    const handlers = this.handlers.get(pattern);
    if (!handlers?.size) return;
    let message: IncomingMessage;
    try {
      const exchange = channel.slice(channel.indexOf('.') + 1).split('/')[0] ?? '';
      message = decodeBroadcastEnvelope(payload, exchange);
    } catch (error) {
      this.logger.warn(
        `Ignored an unreadable message on Redis channel "${channel}": ${(error as Error).message}. ` +
          `Only JSON-serialized events and control messages are supported.`,
      );
      return;
    }
    for (const handler of handlers) handler(message);
  }

  /** `keyprefix_fanout + exchange [+ "/" + routing_key]` (kombu `_get_publish_topic`). */
  private channel(exchange: string, routingKey: string): string {
    const base = `${this.g}${this.fanoutPrefix}${exchange}`;
    return routingKey ? `${base}/${routingKey}` : base;
  }

  private bindingKey(exchange: string): string {
    return `${this.g}_kombu.binding.${exchange}`;
  }

  /** A queue's list and its priority lists (`queue SEP step`). */
  private listKeys(queue: string): string[] {
    return this.steps.map((step) =>
      step === 0 ? `${this.g}${queue}` : `${this.g}${queue}${this.sep}${step}`,
    );
  }
}
