import type { ConnectionOptions } from 'node:tls';
/**
 * Options of the RabbitMQ broker (`amqp://`). Every default reproduces what Python Celery 5
 * declares and sends (docs/protocol.md#rabbitmq-transport), so a Celery worker or producer on the same
 * vhost agrees with Celeriac on every declaration.
 */

/** Queue implementation, RabbitMQ's `x-queue-type`. @publicApi */
export type AmqpQueueType = 'classic' | 'quorum';

/** Declaration of one task queue. @publicApi */
export interface AmqpQueueOptions {
  /**
   * `classic` (Celery's default, no `x-queue-type` argument) or `quorum` (`x-queue-type:
   * quorum`, as Celery 5.5+ declares with `task_default_queue_type='quorum'`). Quorum queues
   * have no priorities on RabbitMQ 3.x and ignore global QoS: see {@link AmqpBrokerOptions}.
   */
  type?: AmqpQueueType;
  /**
   * Declares `x-max-priority` on the queue. Celery declares it only when
   * `task_queue_max_priority` is set: use the same number on both sides, otherwise RabbitMQ
   * closes the channel of whoever declares second with PRECONDITION_FAILED. Not allowed on a
   * quorum queue (a {@link ConfigurationError} is thrown when both are set on one queue).
   */
  maxPriority?: number;
  /**
   * Direct exchange bound to the queue with the queue name as routing key. Celery declares an
   * exchange named like the queue (`celery` → `celery`); tasks are published to the default
   * exchange `""` regardless. Default: the queue name.
   */
  exchange?: string;
  /**
   * Extra `x-` arguments, for example `{ 'x-expires': 60000 }`. They must equal what Python
   * declares for the same queue (`Queue(..., queue_arguments=...)`).
   */
  arguments?: Record<string, string | number | boolean>;
  /** Overrides the broker-wide {@link AmqpBrokerOptions.deadLetter} for this queue. */
  deadLetter?: boolean;
}

/** Reconnect backoff: `min(maxDelay, initialDelay × factor^(attempt-1))` ± jitter. @publicApi */
export interface AmqpReconnectOptions {
  /** First delay after a connection loss, ms. Default 100. */
  initialDelay?: number;
  /** Cap of the delay between attempts, ms. Default 30 000. */
  maxDelay?: number;
  /** Growth per failed attempt. Default 2. */
  factor?: number;
  /** Random spread, 0–1, so that many workers do not reconnect in lockstep. Default 0.2. */
  jitter?: number;
}

/**
 * Broker-side delays (`notBefore`, `Delivery.defer`). See `amqp.delay.ts` for the design:
 * a ladder of TTL queues, one per power of two of `unitMs`, that a parked message walks down
 * without ever being held by a consumer. @publicApi
 */
export interface AmqpDelayOptions {
  /** Granularity of delays, ms. A delay is rounded up to a multiple of it. Default 100. */
  unitMs?: number;
  /**
   * Number of levels. The longest single parking is `(2^levels − 1) × unitMs`; a longer
   * delay is parked again when it comes out. Default 28 (≈ 310 days with 100 ms units).
   */
  levels?: number;
  /**
   * Name prefix of the delay exchanges and queues: `<prefix>.<level>`, `<prefix>.deliver`.
   * Every application on a vhost that uses the same prefix must use the same `unitMs` and
   * `levels` (the TTLs are queue arguments). Default `celeriac.delay`.
   */
  prefix?: string;
}

/** Options of {@link AmqpBroker}. @publicApi */
export interface AmqpBrokerOptions {
  /** `x-max-priority` for every queue without its own setting. Default: none (as Celery). */
  maxPriority?: number;
  /**
   * Queue type of every queue without its own setting. Default `classic`. With `quorum`, a
   * broker-wide `maxPriority` is not declared on quorum queues (a warning is logged at
   * connect), and `prefetch` becomes per queue instead of per consumer, as Celery does.
   */
  queueType?: AmqpQueueType;
  /** Per-queue declarations, by queue name. */
  queues?: Record<string, AmqpQueueOptions>;
  /**
   * How long a publish may wait for a connection and for RabbitMQ's confirm, ms. Default
   * 10 000. A publish that runs out of time rejects with BrokerConnectionError (nothing was
   * sent), or PublishOutcomeUnknownError once the message was written but not confirmed.
   */
  publishTimeout?: number;
  /**
   * What a publish does while the connection is down: `wait` (default) for the reconnect, up
   * to `publishTimeout`; `fail` at once with BrokerConnectionError. Nothing is dropped silently.
   */
  whenDisconnected?: 'wait' | 'fail';
  /** Reconnect backoff after a connection loss. */
  reconnect?: AmqpReconnectOptions;
  /**
   * Dead-letter messages rejected without requeue into `<queue>.dlq` (a durable queue on the
   * default exchange). Default true. Celeriac does it itself (publish to the DLQ, confirmed,
   * then ack) so that the task queue keeps Celery's exact declaration: a queue argument
   * `x-dead-letter-exchange` would make Python's declaration fail.
   */
  deadLetter?: boolean;
  /** Suffix of dead-letter queues. Default `.dlq`. */
  deadLetterSuffix?: string;
  /** Broker-side delay ladder. */
  delay?: AmqpDelayOptions;
  /** Shown by RabbitMQ (`rabbitmqctl list_connections client_properties`). Default `celeriac <pid>`. */
  connectionName?: string;
  /** AMQP heartbeat, seconds; 0 disables it. Default 60. */
  heartbeat?: number;
  /**
   * TLS settings for `amqps://` (Node's `tls.connect` options: `ca`, `cert`, `key`,
   * `passphrase`, `servername`, ...); they win over the URL's `ssl_*` parameters.
   */
  tls?: ConnectionOptions;
  /**
   * Base URL of the RabbitMQ management HTTP API, with a user allowed to read the vhost
   * (`http://guest:guest@rabbitmq:15672`). Optional: with it, queue statistics (metrics)
   * come from one `GET /api/queues/<vhost>` per scrape and include unacknowledged messages;
   * without it, from passive declares, which tell ready messages and consumers only.
   * Needs the `rabbitmq_management` plugin. See docs/metrics-and-health.md.
   */
  managementUrl?: string;
}

/** Options with every default applied. */
export interface ResolvedAmqpBrokerOptions {
  maxPriority: number | undefined;
  queueType: AmqpQueueType;
  queues: Record<string, AmqpQueueOptions>;
  publishTimeout: number;
  whenDisconnected: 'wait' | 'fail';
  reconnect: Required<AmqpReconnectOptions>;
  deadLetter: boolean;
  deadLetterSuffix: string;
  delay: Required<AmqpDelayOptions>;
  connectionName: string;
  heartbeat: number;
  tls: ConnectionOptions | undefined;
  managementUrl: string | undefined;
}

export const DEFAULT_RECONNECT: Required<AmqpReconnectOptions> = {
  initialDelay: 100,
  maxDelay: 30_000,
  factor: 2,
  jitter: 0.2,
};

export function resolveAmqpBrokerOptions(
  options: AmqpBrokerOptions = {},
): ResolvedAmqpBrokerOptions {
  return {
    maxPriority: options.maxPriority,
    queueType: options.queueType ?? 'classic',
    queues: options.queues ?? {},
    publishTimeout: options.publishTimeout ?? 10_000,
    whenDisconnected: options.whenDisconnected ?? 'wait',
    reconnect: { ...DEFAULT_RECONNECT, ...options.reconnect },
    deadLetter: options.deadLetter ?? true,
    deadLetterSuffix: options.deadLetterSuffix ?? '.dlq',
    delay: {
      unitMs: options.delay?.unitMs ?? 100,
      levels: options.delay?.levels ?? 28,
      prefix: options.delay?.prefix ?? 'celeriac.delay',
    },
    connectionName: options.connectionName ?? `celeriac ${process.pid}`,
    heartbeat: options.heartbeat ?? 60,
    tls: options.tls,
    managementUrl: options.managementUrl,
  };
}
