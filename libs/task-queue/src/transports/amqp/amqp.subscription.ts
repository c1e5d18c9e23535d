import type { Logger } from '@nestjs/common';
import { type ChannelModel, type ConsumeMessage } from 'amqplib';
import type { Consumer, DeliveryHandler } from '../../contracts/broker.interface.js';
import { decodeAmqpMessage, notBeforeOf, parkedRouteOf } from './amqp-message.codec.js';
import { type AmqpConnection, closeChannel } from './amqp.connection.js';
import { errorText } from '../../utils/error-text.js';
import { type DelayLadder } from './amqp.delay.js';
import { AmqpAckCoalescer } from './amqp-ack.coalescer.js';
import { AmqpChannelConsumers, type ConsumersOwner } from './amqp-channel.consumers.js';
import {
  AmqpDelivery,
  type ChannelSlot,
  type DeliveryHost,
  type DeliveryOwner,
} from './amqp.delivery.js';
import { AmqpMessages } from './amqp.messages.js';
import { AmqpSettledIds, taskIdOf } from './amqp-settled-ids.js';
import { type AmqpTopology } from './amqp.topology.js';

/** Everything a subscription uses of its broker. */
export interface SubscriptionHost extends DeliveryHost {
  readonly connection: AmqpConnection;
  readonly topology: AmqpTopology;
  readonly ladder: DelayLadder;
  /** Serial numbers for channels, so delivery tags are unique per broker. */
  nextSerial(): number;
}

const RESUBSCRIBE_DELAY_MS = 1_000;

/**
 * One `consume()` call: a dedicated channel with manual acks and one AMQP consumer per queue
 * (see {@link AmqpChannelConsumers} for the prefetch). After a channel or connection loss it
 * subscribes again once RabbitMQ is back; deliveries of the dead channel settle as logged
 * no-ops. `cancel()` stops fetching and closes the channel once its deliveries are settled.
 */
export class AmqpSubscription implements Consumer, DeliveryOwner, ConsumersOwner {
  private slot: ChannelSlot | undefined;
  /** The consumers on the current channel. */
  private consumers: AmqpChannelConsumers | undefined;
  private active = true;
  private outstanding = 0;
  private resubscribing: Promise<void> | undefined;
  /** Why the last attempt to subscribe again failed, until one succeeds. */
  private resumeFailure: string | undefined;
  /** The closing of the current channel (acks flushed, then `channel.close` confirmed). */
  private closing: Promise<void> | undefined;
  private readonly settledIds = new AmqpSettledIds();
  private readonly onReconnect = (): void => void this.resubscribe(0);

  constructor(
    private readonly host: SubscriptionHost,
    private readonly queues: string[],
    private readonly handler: DeliveryHandler,
    private readonly prefetch: number,
  ) {}

  /** Declare the queues and start consuming; rejects when that fails. */
  async start(): Promise<void> {
    this.host.connection.on('connected', this.onReconnect);
    try {
      await this.subscribe(await this.host.connection.open());
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  /** Stop fetching; unsettled deliveries stay valid, the channel closes once they are settled. */
  async cancel(): Promise<void> {
    if (!this.active) return;
    this.active = false;
    this.host.connection.off('connected', this.onReconnect);
    if (!this.slot?.open) return;
    await this.consumers?.cancel();
    if (this.outstanding === 0) await this.closeChannel();
  }

  /**
   * Cancel and close the channel now: unacked messages go back to their queues. Resolves once
   * RabbitMQ confirmed the channel's close, so every ack sent before it has been applied (a
   * channel closed by the last settlement of a warm shutdown is awaited too): the connection
   * may then close without RabbitMQ requeueing tasks that finished.
   */
  async close(): Promise<void> {
    await this.cancel();
    await this.closeChannel();
    await this.closing;
  }

  private async subscribe(model: ChannelModel): Promise<void> {
    if (!this.active || this.slot?.open) return;
    const { topology } = this.host;
    for (const queue of this.queues) {
      await topology.ensureQueue(model, queue);
      if (this.host.deadLetters(queue)) await topology.ensureDeadLetterQueue(model, queue);
    }
    const channel = await model.createChannel();
    const serial = this.host.nextSerial();
    const acks = new AmqpAckCoalescer(channel, (error, count) =>
      this.host.logger.warn(AmqpMessages.acksLost(count, errorText(error))),
    );
    const slot: ChannelSlot = { channel, acks, serial, open: true };
    channel.on('error', (error: Error) =>
      this.host.logger.warn(AmqpMessages.consumerChannelError(this.queues, error.message)),
    );
    channel.once('close', () => this.onChannelClosed(slot));
    const quorum = this.queues.some((queue) => topology.describe(queue).type === 'quorum');
    const consumers = new AmqpChannelConsumers(slot, this, this.queues, this.prefetch, quorum);
    this.slot = slot;
    this.consumers = consumers;
    this.outstanding = 0;
    try {
      await consumers.start();
    } catch (error) {
      slot.open = false;
      await channel.close().catch(() => undefined);
      throw error;
    }
  }

  /** Why it does not consume now (subscribing again failed), or undefined. */
  stalled(): string | undefined {
    return this.active ? this.resumeFailure : undefined;
  }

  get logger(): Logger {
    return this.host.logger;
  }

  /** True while `slot` is the current channel and this subscription still consumes. */
  owns(slot: ChannelSlot): boolean {
    return this.active && slot === this.slot;
  }

  /**
   * RabbitMQ cancelled the consumer of `queue`: declare it again and consume it on the same
   * channel, so the deliveries this channel holds (of every queue) stay valid: closing it would
   * make RabbitMQ redeliver the other queues' running tasks, and a deleted queue's messages are
   * gone with it. A new channel only when that fails (the resubscribe loop then says why).
   */
  onCancelled(slot: ChannelSlot, queue: string): void {
    this.host.logger.warn(AmqpMessages.consumerCancelledByServer(queue));
    this.host.topology.reset();
    const consumers = slot === this.slot ? this.consumers : undefined;
    void resumeQueue(this.host, slot, queue, consumers, () => this.owns(slot)).then(
      (resumed) => resumed || void slot.channel.close().catch(() => undefined),
    );
  }

  onMessage(slot: ChannelSlot, queue: string, raw: ConsumeMessage): void {
    slot.acks.received(raw);
    if (!this.active) {
      slot.acks.reject(raw, true);
      return;
    }
    if (this.settledIds.alreadySettled(raw)) {
      slot.acks.ack(raw);
      this.host.logger.warn(AmqpMessages.redeliveredDone(queue, taskIdOf(raw) ?? '?'));
      return;
    }
    const due = notBeforeOf(raw);
    if (due && due.getTime() > Date.now()) return void this.repark(slot, queue, raw, due);
    this.outstanding++;
    const fromDelay = this.host.ladder.owns(raw.fields.exchange);
    const delivery = new AmqpDelivery(slot, raw, queue, this.host, this, fromDelay);
    try {
      this.handler(delivery);
    } catch (error) {
      this.host.logger.error(AmqpMessages.handlerThrew(queue, errorText(error)));
    }
  }

  /** A parked message came out early (or its delay exceeds the ladder): park the rest. */
  private async repark(
    slot: ChannelSlot,
    queue: string,
    raw: ConsumeMessage,
    due: Date,
  ): Promise<void> {
    try {
      const via = this.host.ladder.owns(raw.fields.exchange) ? parkedRouteOf(raw) : raw.fields;
      await this.host.park(decodeAmqpMessage(raw), queue, due, { via: via ?? undefined });
      if (slot.open) slot.acks.ack(raw);
    } catch (error) {
      this.host.logger.error(AmqpMessages.deferFailed(queue, errorText(error)));
      if (slot.open) slot.acks.reject(raw, true);
    }
  }

  settled(slot: ChannelSlot, wasHeld: boolean): void {
    if (slot !== this.slot) return;
    this.outstanding = Math.max(0, this.outstanding - 1);
    if (wasHeld) this.heldChanged(slot, false);
    if (!this.active && this.outstanding === 0 && slot === this.slot) void this.closeChannel();
  }

  done(raw: ConsumeMessage): void {
    this.settledIds.remember(raw);
  }

  heldChanged(slot: ChannelSlot, held: boolean): void {
    if (slot === this.slot) this.consumers?.heldChanged(held);
  }

  private onChannelClosed(slot: ChannelSlot): void {
    slot.open = false;
    if (slot !== this.slot) return;
    if (this.active) void this.resubscribe(RESUBSCRIBE_DELAY_MS);
  }

  private resubscribe(delayMs: number): Promise<void> {
    this.resubscribing ??= (async () => {
      let delay = delayMs;
      /** The cause last logged: a failure is logged once, again only when its cause changes. */
      let logged: string | undefined;
      let failures = 0;
      while (this.active && !this.slot?.open && !this.host.connection.isClosed) {
        if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(30_000, Math.max(RESUBSCRIBE_DELAY_MS, delay * 2));
        try {
          await this.subscribe(await this.host.connection.waitConnected());
          if (failures > 0 && this.slot?.open) {
            this.resumeFailure = undefined;
            this.host.logger.log(AmqpMessages.resumedConsuming(this.queues, failures));
          }
        } catch (error) {
          // Closed meanwhile (a shutdown during the outage): nothing is to resume.
          if (!this.active || this.host.connection.isClosed) break;
          failures++;
          const cause = errorText(error);
          this.resumeFailure = AmqpMessages.notConsuming(this.queues, cause);
          if (cause !== logged) {
            logged = cause;
            this.host.logger.warn(AmqpMessages.cannotResumeConsuming(this.queues, cause));
          }
        }
      }
    })().finally(() => (this.resubscribing = undefined));
    return this.resubscribing;
  }

  private closeChannel(): Promise<void> {
    const slot = this.slot;
    if (!slot?.open) return this.closing ?? Promise.resolve();
    // The acks go out first, on the same channel: RabbitMQ applies them before its close-ok.
    slot.acks.flush();
    slot.open = false;
    this.closing = closeChannel(slot.channel);
    return this.closing;
  }
}

/** Declare `queue` again and consume it on `slot`'s channel; false when that failed. */
async function resumeQueue(
  host: SubscriptionHost,
  slot: ChannelSlot,
  queue: string,
  consumers: AmqpChannelConsumers | undefined,
  current: () => boolean,
): Promise<boolean> {
  const model = host.connection.current;
  if (!model || !slot.open || !current()) return true; // a reconnect or cancel() takes over
  try {
    await host.topology.ensureQueue(model, queue);
    if (host.deadLetters(queue)) await host.topology.ensureDeadLetterQueue(model, queue);
    if (!slot.open || !current()) return true;
    return (await consumers?.consumeAgain(queue)) ?? false;
  } catch {
    return false;
  }
}
