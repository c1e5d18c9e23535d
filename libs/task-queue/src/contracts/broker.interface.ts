import type { QueueStats } from './queue-stats.interface.js';
import type { TaskMessage } from './task-message.interface.js';

/**
 * The broker contract. Every transport (memory, Redis, RabbitMQ) implements it and passes the
 * shared conformance suite in `testing/conformance/broker.conformance.ts`. Workers and producers only ever
 * talk to brokers through this interface.
 */
export interface PublishOptions {
  /** Target queue (Redis list / AMQP routing key on the default exchange). */
  queue: string;
  /**
   * Publish to this direct exchange with `routingKey` (both set) instead of to `queue`, as
   * kombu's `basic_publish(exchange, routing_key)`: the queues bound to it with that key get the
   * message, which carries them as its `delivery_info`; `queue` is still declared, as Celery
   * declares the queue it routed to. A broker throws when no queue is bound (nothing is stored).
   * Ignored with `notBefore`. The memory broker routes as a direct exchange too (its queues
   * are bound to their own name; `bindDirect()` adds bindings).
   */
  exchange?: string;
  routingKey?: string;
  /** 0–9, Celery semantics for the transport; defaults to the message's `properties.priority`. */
  priority?: number;
  /**
   * Do not deliver before this instant. Brokers park the message durably until it is due
   * (memory: timer, Redis: sorted set, RabbitMQ: delay queues).
   */
  notBefore?: Date;
}

/** One message handed to a consumer. Settle it exactly once with ack, reject or defer. */
export interface Delivery {
  readonly message: TaskMessage;
  readonly queue: string;
  /** Broker-unique tag of this delivery (Redis `delivery_tag`, AMQP delivery tag). */
  readonly deliveryTag: string;
  /** True when the broker has delivered this message before (restored / requeued). */
  readonly redelivered: boolean;
  /** Exchange / routing key the message came through, for the task context. */
  readonly deliveryInfo: { exchange: string; routingKey: string; priority: number };
  /**
   * Optional: true once the broker has taken the message back without it being settled (its
   * AMQP channel closed): the broker delivers it again, and this copy can never be acked, so
   * the worker does not start it. Brokers whose deliveries stay valid leave it out.
   */
  readonly reclaimed?: boolean;
  /** Remove the message for good. */
  ack(): Promise<void>;
  /** Give the message up: `requeue` puts it back on its queue, otherwise it is dropped or dead-lettered. */
  reject(requeue: boolean): Promise<void>;
  /** Atomically take the message off this consumer and park it until `until` (ETA tasks). */
  defer(until: Date): Promise<void>;
  /**
   * Keep the lease on an unacked message alive (visibility timeout). Brokers that have no
   * lease (AMQP, memory) resolve immediately.
   */
  touch(): Promise<void>;
  /**
   * The consumer keeps this delivery aside until its ETA (`true`), or it is due and runs now
   * (`false`). While held it does not count against `prefetch`, so the messages behind it can
   * still be fetched (Celery's `qos.increment_eventually` for ETA tasks); settling a held
   * delivery ends the hold. Optional: a broker without it keeps counting held deliveries.
   */
  setHeld?(held: boolean): void;
}

/** A message parked in the broker until it is due (ETA / notBefore), as `parked()` lists it. */
export interface ParkedMessage {
  readonly message: TaskMessage;
  /** The queue it goes to when due. */
  readonly queue: string;
  readonly due: Date;
  readonly deliveryInfo: { exchange: string; routingKey: string; priority: number };
}

export interface ConsumeOptions {
  /** At most this many unacked deliveries are outstanding for the consumer at once. */
  prefetch: number;
}

export type DeliveryHandler = (delivery: Delivery) => void;

/** A running subscription; `cancel()` stops fetching but leaves unsettled deliveries valid. */
export interface Consumer {
  cancel(): Promise<void>;
  /**
   * Optional: why this consumer receives nothing now although its broker may answer (RabbitMQ
   * refuses to let it subscribe again after a channel loss), or undefined while it consumes or
   * is only reconnecting. Readiness reports it.
   */
  stalled?(): string | undefined;
}

export interface Broker {
  /** Transport name for logs and `stats` (`memory`, `redis`, `amqp`). */
  readonly transport: string;
  /**
   * Which priority number is served first. Celery's meaning of `priority` depends on the
   * transport: RabbitMQ serves 9 first, Redis serves 0 first. Celeriac keeps each transport's
   * Celery meaning so that priorities interoperate with Python producers and workers.
   */
  readonly priorityOrder: 'higher-first' | 'lower-first';
  /**
   * Optional: the broker this one wraps (a recording or instrumenting decorator). Celery events
   * and remote control then run over the wrapped broker's transport and connection.
   */
  readonly wrapped?: Broker;
  connect(): Promise<void>;
  publish(message: TaskMessage, options: PublishOptions): Promise<void>;
  consume(queues: string[], handler: DeliveryHandler, options: ConsumeOptions): Promise<Consumer>;
  /**
   * Optional: declare `queue` bound to the direct `exchange` with `routingKey` (kombu's
   * `Queue(queue, Exchange(exchange), routingKey)`), so what is published to that exchange with
   * that key reaches it. The worker's `direct` option (Celery's `worker_direct`) uses it.
   */
  bindDirect?(queue: string, exchange: string, routingKey: string): Promise<void>;
  /** Remove every ready message of a queue; resolves the number removed. */
  purge(queue: string): Promise<number>;
  /** Ready (not yet delivered) messages in a queue. */
  queueLength(queue: string): Promise<number>;
  /**
   * Optional: up to `limit` messages parked for `queues` until they are due, earliest first
   * (`inspect scheduled` lists them besides what the worker holds). Brokers that cannot read
   * their parked messages without taking them (RabbitMQ's delay queues) leave it out.
   */
  parked?(queues: string[], limit: number): Promise<ParkedMessage[]>;
  /**
   * Resolve when the broker answers on the connection it already has (Redis PING, AMQP
   * channel open); reject at once when it is disconnected. Never opens a new connection.
   * Health checks call it.
   */
  ping(): Promise<void>;
  /**
   * Optional: counts of every queue in `queues` in one round trip where the transport allows
   * it (metrics scrapes). See {@link QueueStats} for what `null` means.
   */
  queueStats?(queues: string[]): Promise<QueueStats[]>;
  close(): Promise<void>;
}
