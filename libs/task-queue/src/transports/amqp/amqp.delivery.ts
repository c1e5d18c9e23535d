import { type Logger } from '@nestjs/common';
import { type Channel, type ConsumeMessage } from 'amqplib';
import type { AmqpAckCoalescer } from './amqp-ack.coalescer.js';
import type { Delivery } from '../../contracts/broker.interface.js';
import type { TaskMessage } from '../../contracts/task-message.interface.js';
import { decodeAmqpMessage, parkedRouteOf } from './amqp-message.codec.js';
import type { ParkOptions } from './amqp.delay.js';
import { errorText } from '../../utils/error-text.js';
import { AmqpMessages } from './amqp.messages.js';

/** A consumer channel, its settlements, and whether it is still open (tags die with it). */
export interface ChannelSlot {
  readonly channel: Channel;
  readonly acks: AmqpAckCoalescer;
  readonly serial: number;
  open: boolean;
}

/** What a delivery needs from its broker to dead-letter and park messages. */
export interface DeliveryHost {
  readonly logger: Logger;
  /** Dead-letter enabled for this queue. */
  deadLetters(queue: string): boolean;
  /** Publish (confirmed) a copy into the queue's dead-letter queue. */
  deadLetter(message: TaskMessage, queue: string): Promise<void>;
  /** Publish (confirmed) a copy into the delay ladder, due at `until`, delivered `via`. */
  park(message: TaskMessage, queue: string, until: Date, options?: ParkOptions): Promise<void>;
}

/** The subscription a delivery came from: told when it settles and when it is held. */
export interface DeliveryOwner {
  /** The delivery settled (or its channel is gone); `wasHeld` when it was held until its ETA. */
  settled(slot: ChannelSlot, wasHeld: boolean): void;
  /** The delivery is held until its ETA (true) or released to run (false). */
  heldChanged(slot: ChannelSlot, held: boolean): void;
  /** The worker is done with the task (run and acked, or dead-lettered): see AmqpSettledIds. */
  done(raw: ConsumeMessage): void;
}

/**
 * One RabbitMQ delivery. Settling is idempotent and never throws into the worker: on a channel
 * that has closed meanwhile, RabbitMQ has already requeued the message, so the call is logged
 * and ignored. `defer` and dead-lettering publish the copy (confirmed) before acking the
 * original, so a crash in between duplicates the message rather than losing it.
 */
export class AmqpDelivery implements Delivery {
  readonly message: TaskMessage;
  readonly deliveryTag: string;
  readonly redelivered: boolean;
  readonly deliveryInfo: { exchange: string; routingKey: string; priority: number };
  private settled = false;
  private held = false;

  constructor(
    private readonly slot: ChannelSlot,
    private readonly raw: ConsumeMessage,
    readonly queue: string,
    private readonly host: DeliveryHost,
    private readonly owner: DeliveryOwner,
    fromDelay: boolean,
  ) {
    this.message = decodeAmqpMessage(raw);
    this.deliveryTag = `${slot.serial}:${raw.fields.deliveryTag}`;
    this.redelivered = raw.fields.redelivered;
    // Out of the ladder: the named exchange and key it was parked with, else the queue.
    const via = fromDelay
      ? (parkedRouteOf(raw) ?? { exchange: '', routingKey: queue })
      : { exchange: raw.fields.exchange, routingKey: raw.fields.routingKey };
    this.deliveryInfo = { ...via, priority: this.message.properties.priority };
  }

  /** Unsettled on a channel that has closed: RabbitMQ has requeued the message. */
  get reclaimed(): boolean {
    return !this.settled && !this.slot.open;
  }

  async ack(): Promise<void> {
    if (!this.settled) this.owner.done(this.raw);
    if (this.claim()) this.apply('ack', (acks) => acks.ack(this.raw));
  }

  async reject(requeue: boolean): Promise<void> {
    if (!this.claim()) return;
    if (requeue || !this.host.deadLetters(this.queue)) {
      this.apply(requeue ? 'requeue' : 'reject', (acks) => acks.reject(this.raw, requeue));
      return;
    }
    try {
      await this.host.deadLetter(this.message, this.queue);
      this.owner.done(this.raw);
      this.apply('ack', (acks) => acks.ack(this.raw));
    } catch (error) {
      this.host.logger.error(AmqpMessages.deadLetterFailed(this.queue, errorText(error)));
      this.apply('requeue', (acks) => acks.reject(this.raw, true));
    }
  }

  async defer(until: Date): Promise<void> {
    if (!this.claim()) return;
    try {
      // Not `done`: the copy parked here comes back with the same id and retries, and a
      // redelivery of that copy (its channel closed before it ran) must run.
      await this.host.park(this.message, this.queue, until, { via: this.deliveryInfo });
      this.apply('ack', (acks) => acks.ack(this.raw));
    } catch (error) {
      this.host.logger.error(AmqpMessages.deferFailed(this.queue, errorText(error)));
      this.apply('requeue', (acks) => acks.reject(this.raw, true));
    }
  }

  /** AMQP has no leases: an unacked message stays with its consumer until settled. */
  async touch(): Promise<void> {}

  setHeld(held: boolean): void {
    if (this.settled || this.held === held) return;
    this.held = held;
    this.owner.heldChanged(this.slot, held);
  }

  private onSettled(): void {
    const wasHeld = this.held;
    this.held = false;
    this.owner.settled(this.slot, wasHeld);
  }

  /** Take the right to settle; false when already settled or the channel is gone. */
  private claim(): boolean {
    if (this.settled) return false;
    this.settled = true;
    if (this.slot.open) return true;
    this.host.logger.warn(AmqpMessages.settleOnDeadChannel('settle', this.deliveryTag));
    this.onSettled();
    return false;
  }

  private apply(action: string, op: (acks: AmqpAckCoalescer) => void): void {
    try {
      if (!this.slot.open) throw new Error('channel closed');
      op(this.slot.acks);
    } catch {
      this.host.logger.warn(AmqpMessages.settleOnDeadChannel(action, this.deliveryTag));
    } finally {
      this.onSettled();
    }
  }
}
