import { type Logger } from '@nestjs/common';
import { type Channel, type ChannelModel } from 'amqplib';
import { ConfigurationError } from '../../errors/configuration.error.js';
import {
  type AmqpBrokerOptions,
  type AmqpQueueType,
  type ResolvedAmqpBrokerOptions,
} from './amqp-broker.options.js';
import { errorText } from '../../utils/error-text.js';
import { type DelayLadder } from './amqp.delay.js';
import { AmqpMessages } from './amqp.messages.js';
import { AmqpDeclarations, PRECONDITION_FAILED } from './amqp-declarations.js';

/** How one task queue is declared. */
export interface QueueDeclaration {
  name: string;
  /** Direct exchange bound with the queue name; `''` for none. */
  exchange: string;
  type: AmqpQueueType;
  arguments: Record<string, string | number | boolean>;
  deadLetter: boolean;
}

/**
 * Declares queues, exchanges and the delay ladder exactly as Celery does
 * (docs/protocol.md#rabbitmq-exchanges-and-queues): for queue `q`, a durable direct exchange `q`, a durable queue `q` without arguments
 * unless configured (`x-max-priority`, `x-queue-type`), and the binding `q → q` with key `q`.
 * Declarations are cached per connection and repeated after a reconnect.
 */
export class AmqpTopology {
  private readonly declarations = new AmqpDeclarations();
  private readonly warned = new Set<string>();
  /** Queues bound to another direct exchange with their own key (`bindDirect`). */
  private readonly directs = new Map<string, { exchange: string; routingKey: string }>();
  /** Told of each queue this topology declared (once per connection). */
  onQueueDeclared?: (queue: string) => void;

  constructor(
    private readonly options: ResolvedAmqpBrokerOptions,
    private readonly ladder: DelayLadder,
    private readonly logger: Logger,
  ) {}

  /** Throw ConfigurationError for contradictory queue settings (at construction). */
  static validate(options: AmqpBrokerOptions): void {
    for (const [name, queue] of Object.entries(options.queues ?? {})) {
      const type = queue.type ?? options.queueType ?? 'classic';
      if (type === 'quorum' && queue.maxPriority !== undefined) {
        throw new ConfigurationError(AmqpMessages.quorumPriority(name));
      }
    }
  }

  /** Log, once, the settings that cannot be honoured (broker-wide priorities on quorum queues). */
  warnAtConnect(): void {
    const { queueType, maxPriority } = this.options;
    if (queueType === 'quorum' && maxPriority !== undefined && !this.warned.has('*')) {
      this.warned.add('*');
      this.logger.warn(AmqpMessages.quorumPriorityGlobal(maxPriority));
    }
    for (const name of Object.keys(this.options.queues)) this.describe(name);
  }

  /** Bind `queue` to the direct `exchange` with `routingKey` (Celery's `worker_direct`). */
  bindDirect(queue: string, exchange: string, routingKey: string): void {
    this.directs.set(queue, { exchange, routingKey });
    this.declarations.forget(`queue:${queue}`);
  }

  describe(name: string): QueueDeclaration {
    const base = this.deadLetterBase(name);
    if (base !== undefined) {
      // `<queue>.dlq` published to or consumed directly (DeadLetters, peek, redrive): declare
      // it as ensureDeadLetterQueue does, never with the broker-wide x-max-priority (406).
      const quorum = this.describe(base).type === 'quorum';
      return {
        name,
        exchange: '',
        type: quorum ? 'quorum' : 'classic',
        arguments: quorum ? { 'x-queue-type': 'quorum' } : {},
        deadLetter: false,
      };
    }
    const own = this.options.queues[name] ?? {};
    const type = own.type ?? this.options.queueType;
    const args: Record<string, string | number | boolean> = { ...own.arguments };
    const maxPriority = own.maxPriority ?? this.options.maxPriority;
    if (type === 'quorum') {
      args['x-queue-type'] = 'quorum';
      if (maxPriority !== undefined && !this.warned.has(name) && !this.warned.has('*')) {
        this.warned.add(name);
        this.logger.warn(AmqpMessages.quorumPriorityIgnored(name, maxPriority));
      }
    } else if (maxPriority !== undefined) {
      args['x-max-priority'] = maxPriority;
    }
    return {
      name,
      exchange: this.directs.get(name)?.exchange ?? own.exchange ?? name,
      type,
      arguments: args,
      deadLetter: own.deadLetter ?? this.options.deadLetter,
    };
  }

  /** The queue whose dead-letter queue `name` is, unless `name` is configured as a queue itself. */
  private deadLetterBase(name: string): string | undefined {
    const suffix = this.options.deadLetterSuffix;
    if (!suffix || !name.endsWith(suffix) || name.length === suffix.length) return undefined;
    if (this.options.queues[name]) return undefined;
    const base = name.slice(0, -suffix.length);
    return (this.options.queues[base]?.deadLetter ?? this.options.deadLetter) ? base : undefined;
  }

  deadLetterQueue(name: string): string {
    return `${name}${this.options.deadLetterSuffix}`;
  }

  /** True once `ensureQueue(model, name)` has succeeded on this connection (no await needed). */
  queueDeclared(model: ChannelModel, name: string): boolean {
    return this.declarations.isDeclared(model, `queue:${name}`);
  }

  /** Declare a task queue (and its exchange and binding) once per connection. */
  ensureQueue(model: ChannelModel, name: string): Promise<void> {
    return this.declarations.once(model, `queue:${name}`, async (first) => {
      const queue = this.describe(name);
      const bind = queue.exchange !== '' && (await this.assertOwnExchange(first, queue, name));
      // A refused exchange declaration closed `first`: the queue goes on a fresh channel.
      const ch = bind || !queue.exchange ? first : await this.declarations.channelFor(model);
      await ch.assertQueue(name, {
        durable: true,
        autoDelete: false,
        exclusive: false,
        arguments: queue.arguments,
      });
      if (bind)
        await ch.bindQueue(name, queue.exchange, this.directs.get(name)?.routingKey ?? name);
      this.onQueueDeclared?.(name);
    });
  }

  /**
   * Declare the queue's direct exchange; false when it exists as another type (a topic
   * exchange from Celery's `task_queues`). Tasks are published to the default exchange, so the
   * queue needs none of its own: that exchange and its bindings are left as they are.
   */
  private async assertOwnExchange(
    ch: Channel,
    queue: QueueDeclaration,
    name: string,
  ): Promise<boolean> {
    try {
      await ch.assertExchange(queue.exchange, 'direct', { durable: true, autoDelete: false });
      return true;
    } catch (error) {
      const text = errorText(error);
      const otherType = (error as { code?: number }).code === PRECONDITION_FAILED;
      if (!otherType || !text.includes("inequivalent arg 'type'")) throw error;
      this.declarations.dropChannel();
      if (!this.warned.has(`exchange:${name}`)) {
        this.warned.add(`exchange:${name}`);
        this.logger.warn(AmqpMessages.foreignExchange(name, queue.exchange, text));
      }
      return false;
    }
  }

  /** Declare the dead-letter queue of `name` (same queue type, no priority); returns its name. */
  async ensureDeadLetterQueue(model: ChannelModel, name: string): Promise<string> {
    const dlq = this.deadLetterQueue(name);
    await this.declarations.once(model, `dlq:${name}`, async (ch) => {
      const quorum = this.describe(name).type === 'quorum';
      await ch.assertQueue(dlq, {
        durable: true,
        autoDelete: false,
        arguments: quorum ? { 'x-queue-type': 'quorum' } : {},
      });
      this.onQueueDeclared?.(dlq);
    });
    return dlq;
  }

  /** Declare the delay ladder and the binding that delivers parked messages into `name`. */
  async ensureDelayTarget(model: ChannelModel, name: string): Promise<void> {
    if (!this.ladder.accepts(name))
      throw new ConfigurationError(AmqpMessages.invalidDelayQueue(name));
    await this.ensureQueue(model, name);
    const overflow = this.describe(name).arguments['x-overflow'];
    if (typeof overflow === 'string' && overflow.startsWith('reject-publish')) {
      if (!this.warned.has(`overflow:${name}`)) {
        this.warned.add(`overflow:${name}`);
        this.logger.warn(AmqpMessages.delayIntoRejectingQueue(name, overflow));
      }
    }
    await this.declarations.once(model, 'delay-ladder', (ch) => this.declareLadder(ch));
    await this.declarations.once(model, `delay-target:${name}`, async (ch) => {
      const binding = this.ladder.targetBinding(name);
      await ch.bindQueue(binding.queue, binding.exchange, binding.pattern);
    });
  }

  /** Forget what was declared (the queues may have been deleted): declare again on next use. */
  reset(): void {
    this.declarations.reset();
  }

  private async declareLadder(ch: Channel): Promise<void> {
    const plan = this.ladder.declarations();
    for (const exchange of plan.exchanges) {
      await ch.assertExchange(exchange.name, exchange.type, exchange.options);
    }
    for (const queue of plan.queues) {
      await ch.assertQueue(queue.name, {
        durable: true,
        autoDelete: false,
        arguments: queue.arguments,
      });
    }
    for (const binding of plan.queueBindings) {
      await ch.bindQueue(binding.queue, binding.exchange, binding.pattern);
    }
    for (const binding of plan.exchangeBindings) {
      await ch.bindExchange(binding.destination, binding.source, binding.pattern);
    }
  }
}
