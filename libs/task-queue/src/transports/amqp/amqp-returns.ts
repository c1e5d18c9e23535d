import type { ConfirmChannel, Message } from 'amqplib';

/**
 * The messages RabbitMQ returned (`basic.return`) on a confirm channel: a mandatory publish
 * that no queue took, because the queue was deleted after it was declared. RabbitMQ sends the
 * return before the message's confirm, on the same channel, so the confirm callback of a
 * publish finds its own return here.
 */
export class AmqpReturns {
  private readonly byChannel = new WeakMap<ConfirmChannel, Message[]>();

  /** Start recording the returns of `channel`. */
  watch(channel: ConfirmChannel): void {
    const returned: Message[] = [];
    this.byChannel.set(channel, returned);
    channel.on('return', (message: Message) => returned.push(message));
  }

  /**
   * True when `channel` returned the message published to `exchange`/`routingKey` with this
   * `content` (and forget that return).
   */
  take(channel: ConfirmChannel, exchange: string, routingKey: string, content: Buffer): boolean {
    const returned = this.byChannel.get(channel);
    if (!returned || returned.length === 0) return false;
    const index = returned.findIndex(
      (message) =>
        message.fields.exchange === exchange &&
        message.fields.routingKey === routingKey &&
        message.content.equals(content),
    );
    if (index < 0) return false;
    returned.splice(index, 1);
    return true;
  }
}
