import type { Logger } from '@nestjs/common';
import type { ConsumeMessage } from 'amqplib';
import { errorText } from '../../utils/error-text.js';
import type { ChannelSlot } from './amqp.delivery.js';

/** The largest prefetch count AMQP can carry (a short). */
const MAX_PREFETCH = 65_535;

/** What the consumers of a channel use of their subscription. */
export interface ConsumersOwner {
  readonly logger: Logger;
  /** True while `slot` is the subscription's channel and the subscription still consumes. */
  owns(slot: ChannelSlot): boolean;
  /** Every message of every consumer on `slot`. */
  onMessage(slot: ChannelSlot, queue: string, raw: ConsumeMessage): void;
  /** RabbitMQ cancelled a consumer of `queue` on `slot` (queue deleted, or failed over). */
  onCancelled(slot: ChannelSlot, queue: string): void;
}

/**
 * The AMQP consumers of one subscription channel (one per queue) and the channel's prefetch.
 * QoS is channel-wide (`global`, as Celery sets on RabbitMQ) when several classic queues share
 * the channel, per consumer otherwise (quorum queues do not support global QoS; Celery does the
 * same).
 *
 * Deliveries held until their ETA do not count against the window: like Celery's
 * `qos.increment_eventually`, the prefetch count is raised by the number held (one
 * `basic.qos` per event-loop turn). Per-consumer QoS cannot be raised for running consumers,
 * so a single classic queue switches to channel-wide QoS the first time it holds one (new
 * consumer, then the old one cancelled; its unacked messages stay valid). Quorum queues have
 * no channel-wide QoS: there, extra consumers whose own prefetch adds up to the number held
 * are started (sizes doubling, so few), and cancelled again once the holds are released.
 */
export class AmqpChannelConsumers {
  private readonly tags: string[] = [];
  /** Deliveries of this channel held until their ETA. */
  private held = 0;
  /** The channel's QoS is channel-wide (global), so it can be raised. */
  private channelWide: boolean;
  /** The prefetch count last set on the channel. */
  private applied: number;
  /** Quorum queues: extra consumers making room for held deliveries, newest last. */
  private extra: Array<{ tags: string[]; capacity: number }> = [];
  private extraCapacity = 0;
  private qosScheduled = false;
  private qosChain: Promise<void> = Promise.resolve();

  constructor(
    private readonly slot: ChannelSlot,
    private readonly owner: ConsumersOwner,
    private readonly queues: string[],
    private readonly prefetch: number,
    private readonly quorum: boolean,
  ) {
    this.channelWide = queues.length > 1 && !quorum;
    this.applied = Math.max(1, prefetch);
  }

  /** Set the channel's prefetch and start one consumer per queue. */
  async start(): Promise<void> {
    await this.slot.channel.prefetch(this.applied, this.channelWide);
    for (const queue of this.queues) this.tags.push(await this.consume(queue));
  }

  /** Cancel every consumer (their unacked deliveries stay valid). */
  async cancel(): Promise<void> {
    await this.cancelTags(this.tags.splice(0));
  }

  /**
   * Consume `queue` again on this channel after RabbitMQ cancelled its consumer. False when
   * this channel cannot (per-consumer QoS of quorum queues, with extra consumers to refit):
   * the caller then opens a new channel.
   */
  async consumeAgain(queue: string): Promise<boolean> {
    if (this.quorum) return false;
    const tag = await this.consume(queue);
    if (this.owner.owns(this.slot)) this.tags.push(tag);
    else await this.cancelTags([tag]);
    return true;
  }

  /** A delivery is held until its ETA (true) or released (false): refit the prefetch. */
  heldChanged(held: boolean): void {
    this.held = Math.max(0, this.held + (held ? 1 : -1));
    if (this.qosScheduled) return;
    this.qosScheduled = true;
    // Once per turn: a fetched batch of ETA tasks costs one basic.qos, not one each.
    setImmediate(() => {
      this.qosScheduled = false;
      this.qosChain = this.qosChain
        .then(() => this.applyQos())
        .catch((error: unknown) =>
          this.owner.logger.warn(
            `Could not adjust the prefetch of ${this.queues.join(', ')}: ${errorText(error)}`,
          ),
        );
    });
  }

  /** Set the prefetch count to the window plus the deliveries held until their ETA. */
  private async applyQos(): Promise<void> {
    const slot = this.slot;
    if (!slot.open || !this.owner.owns(slot)) return;
    if (this.quorum) return this.fitExtraConsumers();
    const count = Math.min(MAX_PREFETCH, Math.max(1, this.prefetch) + this.held);
    if (count === this.applied) return;
    if (!this.channelWide) {
      if (this.held > 0) await this.useChannelWideQos(count);
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
  private async useChannelWideQos(count: number): Promise<void> {
    const { channel } = this.slot;
    this.channelWide = true;
    this.applied = count;
    await channel.prefetch(count, true);
    await channel.prefetch(0, false);
    const old = this.tags.splice(0);
    const started = await this.consumeAll();
    // cancel() may have run meanwhile: then the new consumers go too.
    const keep = this.owner.owns(this.slot);
    if (keep) this.tags.push(...started);
    await this.cancelTags(keep ? old : [...old, ...started]);
  }

  /**
   * Per-consumer QoS (quorum queues): start one more consumer per queue when the extra
   * consumers cannot cover the held deliveries (at least doubling their capacity), cancel the
   * newest ones while the others still cover them. A cancelled consumer's unacked deliveries
   * stay valid.
   */
  private async fitExtraConsumers(): Promise<void> {
    if (this.held > this.extraCapacity) {
      const capacity = Math.min(
        MAX_PREFETCH,
        Math.max(this.held - this.extraCapacity, this.extraCapacity),
      );
      await this.slot.channel.prefetch(capacity, false);
      const tags = await this.consumeAll();
      if (this.owner.owns(this.slot)) {
        this.extra.push({ tags, capacity });
        this.extraCapacity += capacity;
        this.tags.push(...tags);
      } else {
        await this.cancelTags(tags);
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
      await this.cancelTags(last.tags);
      last = this.extra.at(-1);
    }
  }

  /** Start one more consumer per queue; resolves their tags. */
  private async consumeAll(): Promise<string[]> {
    const tags: string[] = [];
    for (const queue of this.queues) tags.push(await this.consume(queue));
    return tags;
  }

  private async consume(queue: string): Promise<string> {
    const slot = this.slot;
    let tag = '';
    const reply = await slot.channel.consume(
      queue,
      (raw) => {
        if (raw) return this.owner.onMessage(slot, queue, raw);
        // A cancel from RabbitMQ: this consumer is gone, its unacked deliveries stay valid.
        const at = this.tags.indexOf(tag);
        if (at >= 0) this.tags.splice(at, 1);
        this.owner.onCancelled(slot, queue);
      },
      { noAck: false },
    );
    tag = reply.consumerTag;
    return tag;
  }

  private async cancelTags(tags: string[]): Promise<void> {
    const { channel } = this.slot;
    await Promise.all(tags.map((tag) => channel.cancel(tag).catch(() => undefined)));
  }
}
