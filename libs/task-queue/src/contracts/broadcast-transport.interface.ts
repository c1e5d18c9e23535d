/**
 * Fanout / broadcast messaging as kombu does it for Celery's events (`celeryev`) and remote
 * control (`celery.pidbox`, `reply.celery.pidbox`): docs/protocol.md#redis-fanout, #events,
 * #remote-control.
 * One implementation per transport (Redis pub/sub, RabbitMQ exchanges, in-process memory).
 */

/** An exchange as Celery declares it. */
export interface ExchangeSpec {
  name: string;
  type: 'fanout' | 'topic' | 'direct';
  durable: boolean;
}

/** A message to publish: a JSON body plus message headers. @publicApi */
export interface OutgoingMessage {
  body: unknown;
  headers: Record<string, unknown>;
  /** 1 transient (events, replies), 2 persistent (control requests). */
  deliveryMode: 1 | 2;
}

/** A message received from an exchange or a reply queue, body already decoded. @publicApi */
export interface IncomingMessage {
  body: unknown;
  headers: Record<string, unknown>;
  exchange: string;
  routingKey: string;
}

/** A queue bound to an exchange: a worker's pidbox queue or an event receiver's queue. */
export interface SubscriptionSpec {
  exchange: ExchangeSpec;
  /** Queue name (`<node>.celery.pidbox`, `celeryev.<uuid>`). */
  queue: string;
  /** Binding key: `''` for fanout, `#` / `worker.#` for the topic `celeryev`. */
  bindingKey: string;
  /** AMQP queue arguments (`x-message-ttl`, `x-expires`), as Celery declares them. */
  queueArguments: Record<string, number>;
}

/** A live subscription; `cancel()` unbinds and stops delivery. */
export interface ExchangeSubscription {
  cancel(): Promise<void>;
}

/** A client's reply queue `<oid>.reply.celery.pidbox`, bound with key `<oid>`. */
export interface ReplyQueue {
  /** The routing key repliers use (`reply_to.routing_key`): the oid. */
  readonly routingKey: string;
  /** The next reply, or null when none arrived within `timeoutMs`. */
  next(timeoutMs: number): Promise<IncomingMessage | null>;
  /** Unbind and delete the queue. */
  close(): Promise<void>;
}

/**
 * The transport contract used by the events publisher, the control server and the control
 * client.
 * @publicApi
 */
export interface BroadcastTransport {
  /** `redis`, `amqp` or `memory`. */
  readonly kind: string;
  /** Publish to an exchange (fanout / topic / direct) with a routing key. */
  publish(exchange: ExchangeSpec, routingKey: string, message: OutgoingMessage): Promise<void>;
  /** Bind `spec.queue` to `spec.exchange` and deliver every message to `handler`. */
  subscribe(
    spec: SubscriptionSpec,
    handler: (message: IncomingMessage) => void,
  ): Promise<ExchangeSubscription>;
  /** Declare the reply queue of `oid` (reply exchange `reply.celery.pidbox`). */
  openReplyQueue(oid: string): Promise<ReplyQueue>;
  /**
   * Optional: resolve once the broker has handled everything published so far. RabbitMQ may
   * drop a message published just before its connection closes; a shutdown calls this before
   * the (shared) connection goes. Transports whose `publish` already waits for the broker
   * leave it out.
   */
  flush?(): Promise<void>;
  /** Release every connection and subscription this transport opened. Never throws. */
  close(): Promise<void>;
}
