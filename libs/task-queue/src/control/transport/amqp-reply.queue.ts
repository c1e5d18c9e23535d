import type { Channel } from 'amqplib';
import type { IncomingMessage, ReplyQueue } from './broadcast-transport.interface.js';
import { decodeAmqpMessage } from './amqp-broadcast.codec.js';

/** A RabbitMQ reply queue `<oid>.reply.celery.pidbox`, consumed with no_ack into a buffer. */
export class AmqpReplyQueue implements ReplyQueue {
  private readonly buffer: IncomingMessage[] = [];
  private waiter?: () => void;
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
        this.waiter?.();
      },
      { noAck: true },
    );
    this.consumerTag = consumerTag;
  }

  async next(timeoutMs: number): Promise<IncomingMessage | null> {
    if (this.buffer.length) return this.buffer.shift()!;
    if (this.closed || timeoutMs <= 0) return null;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.waiter = done;
    });
    this.waiter = undefined;
    return this.buffer.shift() ?? null;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.waiter?.();
    if (this.consumerTag) await this.channel.cancel(this.consumerTag).catch(() => undefined);
    await this.channel.deleteQueue(this.queue).catch(() => undefined);
  }
}
