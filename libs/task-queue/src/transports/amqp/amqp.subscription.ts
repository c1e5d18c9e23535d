import { type ChannelModel, type ConsumeMessage } from 'amqplib';
import type { Consumer, DeliveryHandler } from '../../contracts/broker.interface.js';
import { decodeAmqpMessage, notBeforeOf } from './amqp-message.codec.js';
import { type AmqpConnection, closeChannel, errorText } from './amqp.connection.js';
import { type DelayLadder } from './amqp.delay.js';
import { AmqpAckCoalescer } from './amqp-ack.coalescer.js';
import {
  AmqpDelivery,
  type ChannelSlot,
  type DeliveryHost,
  type DeliveryOwner,
} from './amqp.delivery.js';
import { AmqpMessages } from './amqp.messages.js';
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
/** The largest prefetch count AMQP can carry (a short). */
const MAX_PREFETCH = 65_535;

/**
 * One `consume()` call: a dedicated channel with manual acks, `basic.qos(prefetch)` and one
 * AMQP consumer per queue. QoS is channel-wide (`global`, as Celery sets on RabbitMQ) when
 * several classic queues share the channel, per consumer otherwise (quorum queues do not
 * support global QoS; Celery does the same). After a channel or connection loss it subscribes
 * again once RabbitMQ is back; deliveries of the dead channel settle as logged no-ops.
 *
 * Deliveries held until their ETA do not count against the window: like Celery's
 * `qos.increment_eventually`, the prefetch count is raised by the number held (one
 * `basic.qos` per event-loop turn). Per-consumer QoS cannot be raised for running consumers,
 * so a single classic queue switches to channel-wide QoS the first time it holds one (new
 * consumer, then the old one cancelled; its unacked messages stay valid). Quorum queues have
 * no channel-wide QoS: there, extra consumers whose own prefetch adds up to the number held
 * are started (sizes doubling, so few), and cancelled again once the holds are released.
 */
export class AmqpSubscription implements Consumer, DeliveryOwner {
  private slot: ChannelSlot | undefined;
  private active = true;
  private outstanding = 0;
  private resubscribing: Promise<void> | undefined;
  /** The closing of the current channel (acks flushed, then `channel.close` confirmed). */
  private closing: Promise<void> | undefined;
  private readonly tags: string[] = [];
  /** Deliveries of the current channel held until their ETA. */
  private held = 0;
  /** The current channel's QoS is channel-wide (global), so it can be raised. */
  private channelWide = false;
  /** The prefetch count last set on the current channel. */
  private applied = 0;
  private quorum = false;
  /** Quorum queues: extra consumers making room for held deliveries, newest last. */
  private extra: Array<{ tags: string[]; capacity: number }> = [];
  private extraCapacity = 0;
  private qosScheduled = false;
  private qosChain: Promise<void> = Promise.resolve();
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
    const slot = this.slot;
    if (!slot?.open) return;
    const tags = this.tags.splice(0);
    await Promise.all(tags.map((tag) => slot.channel.cancel(tag).catch(() => undefined)));
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
      this.host.logger.warn(`Consumer channel error: ${error.message}`),
    );
    channel.once('close', () => this.onChannelClosed(slot));
    this.slot = slot;
    this.outstanding = 0;
    this.tags.length = 0;
    this.held = 0;
    this.extra = [];
    this.extraCapacity = 0;
    const quorum = this.queues.some((queue) => topology.describe(queue).type === 'quorum');
    this.quorum = quorum;
    this.channelWide = this.queues.length > 1 && !quorum;
    this.applied = Math.max(1, this.prefetch);
    try {
      await channel.prefetch(this.applied, this.channelWide);
      for (const queue of this.queues) {
        const reply = await channel.consume(queue, (raw) => this.onMessage(slot, queue, raw), {
          noAck: false,
        });
        this.tags.push(reply.consumerTag);
      }
    } catch (error) {
      slot.open = false;
      await channel.close().catch(() => undefined);
      throw error;
    }
  }

  private onMessage(slot: ChannelSlot, queue: string, raw: ConsumeMessage | null): void {
    if (!raw) {
      this.host.logger.warn(AmqpMessages.consumerCancelledByServer(queue));
      this.host.topology.reset();
      void slot.channel.close().catch(() => undefined);
      return;
    }
    slot.acks.received(raw);
    if (!this.active) {
      slot.acks.reject(raw, true);
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
      await this.host.park(decodeAmqpMessage(raw), queue, due);
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

  heldChanged(slot: ChannelSlot, held: boolean): void {
    if (slot !== this.slot) return;
    this.held = Math.max(0, this.held + (held ? 1 : -1));
    if (this.qosScheduled) return;
    this.qosScheduled = true;
    // Once per turn: a fetched batch of ETA tasks costs one basic.qos, not one each.
    setImmediate(() => {
      this.qosScheduled = false;
      this.qosChain = this.qosChain
        .then(() => this.applyQos(slot))
        .catch((error: unknown) =>
          this.host.logger.warn(
            `Could not adjust the prefetch of ${this.queues.join(', ')}: ${errorText(error)}`,
          ),
        );
    });
  }

  /** Set the prefetch count to the window plus the deliveries held until their ETA. */
  private async applyQos(slot: ChannelSlot): Promise<void> {
    if (!slot.open || slot !== this.slot || !this.active) return;
    if (this.quorum) return this.fitExtraConsumers(slot);
    const count = Math.min(MAX_PREFETCH, Math.max(1, this.prefetch) + this.held);
    if (count === this.applied) return;
    if (!this.channelWide) {
      if (this.held > 0) await this.useChannelWideQos(slot, count);
      return;
    }
    this.applied = count;
    await slot.channel.prefetch(count, true);
  }

  /**
   * Per-consumer QoS only applies to consumers started after it: set a channel-wide limit,
   * start new consumers with no limit of their own, then cancel the old ones (their unacked
   * deliveries stay valid and count against the channel-wide limit).
   */
  private async useChannelWideQos(slot: ChannelSlot, count: number): Promise<void> {
    this.channelWide = true;
    this.applied = count;
    await slot.channel.prefetch(count, true);
    await slot.channel.prefetch(0, false);
    const old = this.tags.splice(0);
    const started: string[] = [];
    for (const queue of this.queues) {
      const reply = await slot.channel.consume(queue, (raw) => this.onMessage(slot, queue, raw), {
        noAck: false,
      });
      started.push(reply.consumerTag);
    }
    // cancel() may have run meanwhile: then the new consumers go too.
    const keep = this.active && slot === this.slot;
    if (keep) this.tags.push(...started);
    const gone = keep ? old : [...old, ...started];
    await Promise.all(gone.map((tag) => slot.channel.cancel(tag).catch(() => undefined)));
  }

  /**
   * Per-consumer QoS (quorum queues): start one more consumer per queue when the extra
   * consumers cannot cover the held deliveries (at least doubling their capacity), cancel the
   * newest ones while the others still cover them. A cancelled consumer's unacked deliveries
   * stay valid.
   */
  private async fitExtraConsumers(slot: ChannelSlot): Promise<void> {
    if (this.held > this.extraCapacity) {
      const capacity = Math.min(
        MAX_PREFETCH,
        Math.max(this.held - this.extraCapacity, this.extraCapacity),
      );
      await slot.channel.prefetch(capacity, false);
      const tags: string[] = [];
      for (const queue of this.queues) {
        const reply = await slot.channel.consume(queue, (raw) => this.onMessage(slot, queue, raw), {
          noAck: false,
        });
        tags.push(reply.consumerTag);
      }
      if (this.active && slot === this.slot) {
        this.extra.push({ tags, capacity });
        this.extraCapacity += capacity;
        this.tags.push(...tags);
      } else {
        await Promise.all(tags.map((tag) => slot.channel.cancel(tag).catch(() => undefined)));
      }
      return;
    }
    let last = this.extra.at(-1);
    while (last && this.extraCapacity - last.capacity >= this.held) {
      this.extra.pop();
      this.extraCapacity -= last.capacity;
      const gone = new Set(last.tags);
      const keep = this.tags.filter((tag) => !gone.has(tag));
      this.tags.splice(0, this.tags.length, ...keep);
      await Promise.all(last.tags.map((tag) => slot.channel.cancel(tag).catch(() => undefined)));
      last = this.extra.at(-1);
    }
  }

  private onChannelClosed(slot: ChannelSlot): void {
    slot.open = false;
    if (slot !== this.slot) return;
    if (this.active) void this.resubscribe(RESUBSCRIBE_DELAY_MS);
  }

  private resubscribe(delayMs: number): Promise<void> {
    this.resubscribing ??= (async () => {
      let delay = delayMs;
      while (this.active && !this.slot?.open && !this.host.connection.isClosed) {
        if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(30_000, Math.max(RESUBSCRIBE_DELAY_MS, delay * 2));
        try {
          await this.subscribe(await this.host.connection.waitConnected());
        } catch (error) {
          this.host.logger.warn(
            `Could not resume consuming ${this.queues.join(', ')}: ${errorText(error)}`,
          );
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
