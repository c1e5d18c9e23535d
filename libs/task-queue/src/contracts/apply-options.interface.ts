import type { SignatureDict } from './task-message.interface.js';

/**
 * Per-call options of `applyAsync()` / `send()`, named after Celery's `apply_async` arguments.
 * An option set to `undefined` is unset (for `exactOptionalPropertyTypes` callers).
 * @publicApi
 */
export interface ApplyOptions {
  /** Run no earlier than this many seconds from now. */
  countdown?: number | undefined;
  /** Run no earlier than this instant. */
  eta?: Date | undefined;
  /** Seconds from now, or an instant, after which the task is revoked unstarted. */
  expires?: number | Date | undefined;
  queue?: string | undefined;
  /**
   * Publish to this direct exchange with `routingKey` instead of to the queue, as Celery's
   * `apply_async(exchange=..., routing_key=...)`: only when both are set (Celery ignores one
   * alone). RabbitMQ routes it by the exchange's bindings; on Redis, kombu's binding table
   * (`_kombu.binding.<exchange>`) does. Not with the transactional outbox.
   */
  exchange?: string | undefined;
  routingKey?: string | undefined;
  /** 0–9; direction follows the broker (see Broker.priorityOrder). */
  priority?: number | undefined;
  /** Use this id instead of a new uuid4 (idempotent producers). */
  taskId?: string | undefined;
  /** Extra message headers, merged at the top level as Celery does. */
  headers?: Record<string, unknown> | undefined;
  /** Hard / soft time limits in seconds, overriding the task's. */
  timeLimit?: number | undefined;
  softTimeLimit?: number | undefined;
  ignoreResult?: boolean | undefined;
  /** Display name used in logs and events instead of the task name. */
  shadow?: string | undefined;
  /** Applied with the return value when the task succeeds (Celery's `link`). */
  link?: SignatureLike | readonly SignatureLike[] | undefined;
  /** Applied with the task id when the task fails (Celery's `link_error`). */
  linkError?: SignatureLike | readonly SignatureLike[] | undefined;
}

/** `send()` also takes keyword arguments, for tasks written in Python. */
export interface SendOptions extends ApplyOptions {
  kwargs?: Record<string, unknown> | undefined;
}

/**
 * Anything that serialises to a Celery signature dict: a canvas built with `producer.s()`,
 * `signature()`, `chain()`... or a plain {@link SignatureDict}.
 * @publicApi
 */
export type SignatureLike = SignatureDict | { toJSON(): SignatureDict };
