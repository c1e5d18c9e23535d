import { Logger } from '@nestjs/common';
import { type Channel, type ChannelModel } from 'amqplib';
import type {
  Broker,
  ConsumeOptions,
  Consumer,
  DeliveryHandler,
  PublishOptions,
} from '../../contracts/broker.interface.js';
import { type QueueStats, SENT_AT_HEADER } from '../../contracts/queue-stats.interface.js';
import type { TaskMessage } from '../../contracts/task-message.interface.js';
import { AmqpQueueStatsReader } from './amqp-queue-stats.js';
import { AmqpManagementStats } from './amqp-management-stats.js';
import { AmqpMessages } from './amqp.messages.js';
import { withTimeout } from '../../utils/with-timeout.js';
import { AmqpPing } from './amqp-ping.js';
import { AmqpExchangeRoute } from './amqp-exchange-route.js';
import { PublishOutcomeUnknownError } from '../../errors/publish-outcome-unknown.error.js';
import {
  type AmqpBrokerOptions,
  resolveAmqpBrokerOptions,
  type ResolvedAmqpBrokerOptions,
} from './amqp-broker.options.js';
import { encodeAmqpMessage } from './amqp-message.codec.js';
import { AmqpConnection } from './amqp.connection.js';
import { DelayLadder, type ParkOptions } from './amqp.delay.js';
import { AmqpPublisher, type PublishTarget } from './amqp.publisher.js';
import { AmqpSettlements } from './amqp.settlements.js';
import { AmqpSubscription, type SubscriptionHost } from './amqp.subscription.js';
import { AmqpTopology } from './amqp.topology.js';

const NOT_FOUND = 404;

/**
 * The RabbitMQ broker (`amqp://`), wire-compatible with Celery 5 on the same vhost: queues,
 * exchanges and message properties exactly as Celery declares and sends them
 * (docs/protocol.md#rabbitmq-transport). Publishes are confirmed; consumers use manual acks and
 * `prefetch` as channel QoS; priorities are native ("9 first"). On top of Celery it parks
 * delayed messages in RabbitMQ (see `amqp.delay.ts`) instead of holding them unacked, moves
 * messages rejected without requeue to `<queue>.dlq`, and heals lost connections.
 * @publicApi
 */
export class AmqpBroker implements Broker, SubscriptionHost {
  readonly transport = 'amqp';
  readonly priorityOrder = 'higher-first' as const;
  /** The self-healing connection; pass it to `RpcResultBackend` to share it. */
  readonly connection: AmqpConnection;
  readonly topology: AmqpTopology;
  readonly ladder: DelayLadder;
  readonly logger = new Logger('AmqpBroker');
  private readonly options: ResolvedAmqpBrokerOptions;
  private readonly publisher: AmqpPublisher;
  private readonly subscriptions = new Set<AmqpSubscription>();
  /** Parks and dead-letterings (close() waits for those in flight). */
  private readonly settlements: AmqpSettlements;
  private readonly pinger: AmqpPing;
  private readonly exchanges = new AmqpExchangeRoute();
  /** Passive-declare statistics (without `managementUrl`), remembering missing queues. */
  private readonly stats = new AmqpQueueStatsReader();
  /** Management API statistics (with `managementUrl`), over one kept-alive connection. */
  private readonly managementStats?: AmqpManagementStats;
  private serial = 0;

  /**
   * @param url `amqp://user:password@host:5672/vhost`
   * @throws ConfigurationError for contradictory queue settings (quorum with maxPriority)
   */
  constructor(
    private readonly url: string,
    options: AmqpBrokerOptions = {},
  ) {
    AmqpTopology.validate(options);
    this.options = resolveAmqpBrokerOptions(options);
    this.connection = new AmqpConnection(url, {
      connectionName: this.options.connectionName,
      heartbeat: this.options.heartbeat,
      reconnect: this.options.reconnect,
      tls: this.options.tls,
    });
    this.ladder = new DelayLadder(this.options.delay);
    this.topology = new AmqpTopology(this.options, this.ladder, this.logger);
    this.publisher = new AmqpPublisher(this.connection, this.options);
    this.settlements = new AmqpSettlements(this.publisher, this.topology, this.ladder, {
      queueGone: (queue) => this.queueGone(queue),
      ladderGone: () => this.ladderGone(),
    });
    this.pinger = new AmqpPing(url);
    if (this.options.managementUrl) {
      this.managementStats = new AmqpManagementStats(
        this.options.managementUrl,
        url,
        this.options.publishTimeout,
      );
    }
    this.topology.onQueueDeclared = (queue) => this.stats.declared(queue);
    this.connection.on('connected', () => {
      this.topology.reset();
      this.stats.reset();
    });
  }

  /**
   * Connect and declare every queue configured in `options.queues`, so that a declaration
   * that disagrees with the server (or with Python Celery) fails here with ConfigurationError,
   * at boot, rather than on the first publish.
   */
  async connect(): Promise<void> {
    const model = await this.connection.open();
    this.topology.warnAtConnect();
    for (const queue of Object.keys(this.options.queues))
      await this.topology.ensureQueue(model, queue);
  }

  async publish(message: TaskMessage, options: PublishOptions): Promise<void> {
    try {
      const priority = options.priority ?? message.properties.priority ?? 0;
      const due = options.notBefore;
      if (due && due.getTime() > Date.now())
        return await this.park(message, options.queue, due, { priority });
      const outgoing = encodeAmqpMessage(message, priority, { [SENT_AT_HEADER]: Date.now() });
      const { exchange, routingKey } = options;
      const label =
        exchange && routingKey ? `exchange "${exchange}" (key "${routingKey}")` : options.queue;
      await this.publisher.publish(label, outgoing, (model) => {
        const route = (): PublishTarget | Promise<PublishTarget> =>
          exchange && routingKey
            ? this.exchanges.target(model, exchange, routingKey)
            : {
                exchange: '',
                routingKey: options.queue,
                unroutable: () => this.queueGone(options.queue),
              };
        // Declared as Celery declares the queue it routed to, also when an exchange is named;
        // once declared on this connection, the publish goes out without waiting a turn.
        if (this.topology.queueDeclared(model, options.queue)) return route();
        return this.topology.ensureQueue(model, options.queue).then(route);
      });
    } catch (error) {
      if (error instanceof PublishOutcomeUnknownError)
        throw PublishOutcomeUnknownError.forTask(error, message.headers.id);
      throw error;
    }
  }

  /** Declared with the queue on each connection: the direct exchange, the queue, the binding. */
  bindDirect(queue: string, exchange: string, routingKey: string): Promise<void> {
    this.topology.bindDirect(queue, exchange, routingKey);
    return Promise.resolve();
  }

  async consume(
    queues: string[],
    handler: DeliveryHandler,
    options: ConsumeOptions,
  ): Promise<Consumer> {
    const subscription = new AmqpSubscription(this, [...queues], handler, options.prefetch);
    this.subscriptions.add(subscription);
    try {
      await subscription.start();
    } catch (error) {
      this.subscriptions.delete(subscription);
      throw error;
    }
    return {
      cancel: async () => {
        await subscription.cancel();
      },
      stalled: () => subscription.stalled(),
    };
  }

  async purge(queue: string): Promise<number> {
    return this.passive(queue, async (ch) => (await ch.purgeQueue(queue)).messageCount);
  }

  /** Ready messages (passive declare); 0 for a queue that does not exist. */
  async queueLength(queue: string): Promise<number> {
    return this.passive(queue, async (ch) => (await ch.checkQueue(queue)).messageCount);
  }

  /**
   * A round trip on the open connection (1 s at most); rejects at once while it is down or
   * reconnecting.
   */
  async ping(): Promise<void> {
    await this.pinger.ping(this.connection.current);
  }

  /**
   * Ready messages and consumers of every queue and of its dead-letter queue: from one request
   * to the management API when `managementUrl` is set (with unacked messages too), else by
   * passive declares on a few channels (see AmqpQueueStatsReader for what AMQP cannot tell).
   */
  async queueStats(queues: string[]): Promise<QueueStats[]> {
    const deadLetterQueueOf = (queue: string) => this.topology.deadLetterQueue(queue);
    if (this.managementStats) return this.managementStats.read(queues, deadLetterQueueOf);
    const model: ChannelModel = await this.connection.waitConnected(this.options.publishTimeout);
    return this.stats.read(model, queues, deadLetterQueueOf);
  }

  /** Cancel consumers, close channels (unacked messages go back to their queues) and the connection. */
  async close(): Promise<void> {
    this.managementStats?.close();
    // A delivery being parked or dead-lettered settles first: closing under it would log an
    // error and hand the message back to RabbitMQ for another worker to park again.
    await this.settlements.drained();
    const subscriptions = [...this.subscriptions];
    this.subscriptions.clear();
    // Bounded: RabbitMQ stops reading a connection it blocked (a memory alarm) once it
    // published, and would leave the shutdown waiting for as long as the alarm lasts.
    const grace = this.options.publishTimeout;
    const blocked = this.connection.blockedReason;
    const answered = await withTimeout(
      Promise.all(subscriptions.map((s) => s.close())).then(() => true),
      grace,
      () => new Error('no answer'),
    ).catch(() => false);
    if (!answered) this.logger.warn(AmqpMessages.closeUnanswered(this.url, grace, blocked));
    await this.connection.close(answered ? grace : 0);
  }

  /** @internal */
  nextSerial(): number {
    return ++this.serial;
  }

  /** @internal */
  deadLetters(queue: string): boolean {
    return this.topology.describe(queue).deadLetter;
  }

  /** @internal Publish (confirmed) a rejected message into `<queue>.dlq`. */
  deadLetter(message: TaskMessage, queue: string): Promise<void> {
    return this.settlements.deadLetter(message, queue);
  }

  /** @internal Publish (confirmed) a copy into the delay ladder, delivered to `queue` at `until`. */
  park(message: TaskMessage, queue: string, until: Date, options?: ParkOptions): Promise<void> {
    return this.settlements.park(message, queue, until, options);
  }

  /** A publish to `queue` came back unroutable: it was deleted; declare everything again. */
  private queueGone(queue: string): void {
    this.logger.warn(AmqpMessages.queueGone(queue));
    this.topology.reset();
  }

  /** A park came back unroutable: a ladder queue was deleted; declare everything again. */
  private ladderGone(): void {
    this.logger.warn(AmqpMessages.delayQueueGone(this.options.delay.prefix));
    this.topology.reset();
  }

  /** Run a passive operation on a throwaway channel: a missing queue closes it with 404. */
  private async passive(queue: string, op: (ch: Channel) => Promise<number>): Promise<number> {
    const model: ChannelModel = await this.connection.waitConnected(this.options.publishTimeout);
    const channel = await model.createChannel();
    channel.on('error', () => undefined);
    try {
      return await op(channel);
    } catch (error) {
      if ((error as { code?: number }).code === NOT_FOUND) return 0;
      throw error;
    } finally {
      await channel.close().catch(() => undefined);
    }
  }
}
