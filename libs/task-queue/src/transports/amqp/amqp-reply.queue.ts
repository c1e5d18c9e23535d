import type { Channel } from 'amqplib';
import type { IncomingMessage, ReplyQueue } from '../../contracts/broadcast-transport.interface.js';
import { decodeAmqpMessage } from './amqp-broadcast.codec.js';
import { MessageBuffer } from '../../broadcast/message-buffer.js';

/** A RabbitMQ reply queue `<oid>.reply.celery.pidbox`, consumed with no_ack into a buffer. */
export class AmqpReplyQueue implements ReplyQueue {
  private readonly buffer = new MessageBuffer<IncomingMessage>();
  private consumerTag?: string;
  private closed = false;

  constructor(
    readonly routingKey: string,
    private readonly channel: Channel,
    private readonly queue: string,
  ) {}

  async start(): Promise<void> {
    const { consumerTag } = await this.channel.consume(
      this.queue,
      (raw) => {
        const message = raw && decodeAmqpMessage(raw);
        if (!message) return;
        this.buffer.push(message);
      },
      { noAck: true },
    );
    this.consumerTag = consumerTag;
  }

  next(timeoutMs: number): Promise<IncomingMessage | null> {
    return this.buffer.next(timeoutMs);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.buffer.close();
    if (this.consumerTag) await this.channel.cancel(this.consumerTag).catch(() => undefined);
    await this.channel.deleteQueue(this.queue).catch(() => undefined);
  }
}
