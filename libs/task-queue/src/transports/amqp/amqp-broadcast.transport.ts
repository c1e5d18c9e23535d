import { Logger } from '@nestjs/common';
import type { Channel, ConsumeMessage } from 'amqplib';
import { typedAmqpTable } from './amqp-field-table.js';
import { AmqpConnection, closeChannel } from './amqp.connection.js';
import type {
  BroadcastTransport,
  ExchangeSpec,
  ExchangeSubscription,
  IncomingMessage,
  OutgoingMessage,
  ReplyQueue,
  SubscriptionSpec,
} from '../../contracts/broadcast-transport.interface.js';
import { decodeAmqpMessage } from './amqp-broadcast.codec.js';
import { AmqpReplyQueue } from './amqp-reply.queue.js';
import {
  PIDBOX_QUEUE_ARGUMENTS,
  REPLY_EXCHANGE,
  replyQueue,
} from '../../broadcast/pidbox.names.js';

interface LiveSubscription {
  spec: SubscriptionSpec;
  handler: (message: IncomingMessage) => void;
  consumerTag?: string;
}

/**
 * Events and remote control over RabbitMQ with Celery's topology
 * (docs/protocol.md#rabbitmq-exchanges-and-queues, #pidbox-topology): the
 * `celery.pidbox` fanout, `reply.celery.pidbox` direct and `celeryev` topic exchanges, and
 * auto-delete queues with Celery's TTL / expiry arguments, consumed with no_ack. Shares the
 * broker's self-healing connection when given one, and re-subscribes after a reconnect.
 * @publicApi
 */
export class AmqpBroadcastTransport implements BroadcastTransport {
  readonly kind = 'amqp';
  private readonly logger = new Logger('CeleryControl');
  private readonly connection: AmqpConnection;
  private readonly owned: boolean;
  private channel?: Promise<Channel>;
  private readonly subscriptions = new Set<LiveSubscription>();
  private readonly declared = new Set<string>();
  private readonly onConnected = (): void => void this.resubscribe();

  /** @param connection a shared connection (`AmqpBroker.connection`) or a URL to open one. */
  constructor(connection: AmqpConnection | string) {
    this.owned = typeof connection === 'string';
    this.connection =
      typeof connection === 'string'
        ? new AmqpConnection(connection, {
            connectionName: `celeriac control ${process.pid}`,
            logContext: 'CeleryControl',
          })
        : connection;
    this.connection.on('connected', this.onConnected);
  }

  async publish(exchange: ExchangeSpec, routingKey: string, message: OutgoingMessage) {
    const channel = await this.open();
    await this.declareExchange(channel, exchange);
    channel.publish(exchange.name, routingKey, Buffer.from(JSON.stringify(message.body)), {
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      deliveryMode: message.deliveryMode,
      priority: 0,
      // Events, control requests and replies: integers (`clock`) typed for py-amqp.
      headers: typedAmqpTable(message.headers),
    });
  }

  async subscribe(
    spec: SubscriptionSpec,
    handler: (message: IncomingMessage) => void,
  ): Promise<ExchangeSubscription> {
    const live: LiveSubscription = { spec, handler };
    this.subscriptions.add(live);
    await this.start(live);
    return {
      cancel: async () => {
        this.subscriptions.delete(live);
        const channel = await this.channel?.catch(() => undefined);
        if (channel && live.consumerTag) {
          await channel.cancel(live.consumerTag).catch(() => undefined);
        }
      },
    };
  }

  async openReplyQueue(oid: string): Promise<ReplyQueue> {
    const channel = await this.open();
    const queue = replyQueue(oid);
    await this.declareExchange(channel, REPLY_EXCHANGE);
    await channel.assertQueue(queue, {
      durable: false,
      autoDelete: true,
      exclusive: false,
      arguments: PIDBOX_QUEUE_ARGUMENTS,
    });
    await channel.bindQueue(queue, REPLY_EXCHANGE.name, oid);
    const reply = new AmqpReplyQueue(oid, channel, queue);
    await reply.start();
    return reply;
  }

  /**
   * A synchronous round trip on the publishing channel (a passive declare of `amq.direct`,
   * which every vhost has): RabbitMQ handles a channel's commands in order, so when it answers,
   * every earlier publish has been routed.
   */
  async flush(): Promise<void> {
    const channel = await this.channel?.catch(() => undefined);
    await channel?.checkExchange('amq.direct');
  }

  async close(): Promise<void> {
    this.connection.off('connected', this.onConnected);
    this.subscriptions.clear();
    const channel = await this.channel?.catch(() => undefined);
    this.channel = undefined;
    if (channel) await closeChannel(channel);
    if (this.owned) await this.connection.close();
  }

  private async start(live: LiveSubscription): Promise<void> {
    const channel = await this.open();
    const { spec } = live;
    await this.declareExchange(channel, spec.exchange);
    await channel.assertQueue(spec.queue, {
      durable: false,
      autoDelete: true,
      exclusive: false,
      arguments: spec.queueArguments,
    });
    await channel.bindQueue(spec.queue, spec.exchange.name, spec.bindingKey);
    const { consumerTag } = await channel.consume(
      spec.queue,
      (raw) => raw && this.deliver(live, raw),
      { noAck: true },
    );
    live.consumerTag = consumerTag;
  }

  private deliver(live: LiveSubscription, raw: ConsumeMessage): void {
    const message = decodeAmqpMessage(raw);
    if (!message) {
      this.logger.warn(
        `Ignored an unreadable message on queue "${live.spec.queue}" (content type ` +
          `${raw.properties.contentType ?? 'unknown'}): only JSON events and control messages are supported.`,
      );
      return;
    }
    live.handler(message);
  }

  private async resubscribe(): Promise<void> {
    this.channel = undefined;
    this.declared.clear();
    for (const live of this.subscriptions) {
      await this.start(live).catch((error: Error) =>
        this.logger.warn(
          `Could not re-subscribe "${live.spec.queue}" after a RabbitMQ reconnect: ${error.message}. ` +
            `Remote control / events stay unavailable until the next reconnect.`,
        ),
      );
    }
  }

  private open(): Promise<Channel> {
    this.channel ??= (async () => {
      const model = await this.connection.waitConnected(10_000);
      const channel = await model.createChannel();
      channel.on('error', (error: Error) =>
        this.logger.warn(`RabbitMQ control channel error: ${error.message}`),
      );
      channel.once('close', () => {
        this.channel = undefined;
        this.declared.clear();
      });
      return channel;
    })().catch((error: Error) => {
      this.channel = undefined;
      throw error;
    });
    return this.channel;
  }

  private async declareExchange(channel: Channel, exchange: ExchangeSpec): Promise<void> {
    if (this.declared.has(exchange.name)) return;
    await channel.assertExchange(exchange.name, exchange.type, {
      durable: exchange.durable,
      autoDelete: false,
    });
    this.declared.add(exchange.name);
  }
}
