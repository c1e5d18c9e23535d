import type { Channel, Message } from 'amqplib';
import { TickBatcher } from '../../utils/tick-batcher.js';

/**
 * The settlements of one consumer channel. Acks are coalesced per event-loop turn: the acked
 * deliveries older than the channel's oldest unsettled one go out as a single `basic.ack` with
 * `multiple` set (one frame, and one operation for RabbitMQ, for a whole burst), the others one
 * by one. Every delivery the channel receives is tracked from arrival to settlement, so a
 * multiple ack never covers a message that is still running, parked or being dead-lettered.
 * Rejects go out at once.
 */
export class AmqpAckCoalescer {
  /** Delivery tags received and not yet settled, in arrival (= tag) order. */
  private readonly unsettled = new Set<number>();
  private readonly acks: TickBatcher<Message>;

  /** @param onError told when the channel refused a flush (it has closed: RabbitMQ requeues). */
  constructor(
    private readonly channel: Channel,
    private readonly onError: (error: Error, count: number) => void,
  ) {
    this.acks = new TickBatcher(async (messages) => this.send(messages));
  }

  /** A delivery arrived on the channel. */
  received(message: Message): void {
    this.unsettled.add(message.fields.deliveryTag);
  }

  /** Ack `message` with this turn's flush. */
  ack(message: Message): void {
    void this.acks.add(message);
  }

  /** Reject `message` now (requeued, or dropped / dead-lettered by RabbitMQ). */
  reject(message: Message, requeue: boolean): void {
    this.channel.reject(message, requeue);
    this.unsettled.delete(message.fields.deliveryTag);
  }

  /** Send the pending acks now (before the channel closes); synchronous. */
  flush(): void {
    void this.acks.flush();
  }

  private send(pending: Message[]): void {
    for (const message of pending) this.unsettled.delete(message.fields.deliveryTag);
    const oldest = this.unsettled.values().next().value ?? Infinity;
    let upTo: Message | undefined;
    try {
      for (const message of pending) {
        const tag = message.fields.deliveryTag;
        if (tag > oldest) this.channel.ack(message);
        else if (!upTo || tag > upTo.fields.deliveryTag) upTo = message;
      }
      if (upTo) this.channel.ack(upTo, true);
    } catch (error) {
      this.onError(error as Error, pending.length);
    }
  }
}
