/**
 * The in-process form of a Celery protocol v2 task message. Every broker carries exactly this,
 * so a message produced by Python Celery and one produced by Celeriac look the same to a worker.
 * See docs/protocol.md#task-messages.
 */

/** A canvas signature as Celery serialises it (`celery.canvas.Signature` as a dict). */
export interface SignatureDict {
  task: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  options: Record<string, unknown>;
  subtask_type: string | null;
  immutable: boolean;
  chord_size?: number | null;
  [extra: string]: unknown;
}

/** Third element of the body: workflow continuation. */
export interface MessageEmbed {
  callbacks?: SignatureDict[] | null;
  errbacks?: SignatureDict[] | null;
  /** Remaining chain steps in reverse order: the worker pops the last one. */
  chain?: SignatureDict[] | null;
  chord?: SignatureDict | null;
}

/** Protocol v2 headers (AMQP application headers; `headers` in the Redis envelope). */
export interface TaskHeaders {
  lang: string;
  task: string;
  id: string;
  shadow: string | null;
  eta: string | null;
  expires: string | null;
  group: string | null;
  group_index: number | null;
  retries: number;
  /** `[hard, soft]` in seconds, hard first. */
  timelimit: [number | null, number | null];
  root_id: string;
  parent_id: string | null;
  argsrepr: string;
  kwargsrepr: string;
  origin: string;
  ignore_result: boolean;
  /** Custom headers are merged at the top level and must be passed along untouched. */
  [custom: string]: unknown;
}

/** AMQP basic properties that matter for tasks (broker-specific extras live in the broker). */
export interface TaskProperties {
  correlation_id: string;
  reply_to: string;
  delivery_mode: number;
  /** 0–9. Semantics are broker specific (AMQP: higher first; Redis: lower first). */
  priority: number;
  /** Per-message TTL in milliseconds, as a string (AMQP). */
  expiration?: string;
  [extra: string]: unknown;
}

/**
 * Marks a message whose body on the wire was not valid UTF-8 (a pickle body, or poison published
 * by someone else): its `body` then holds the bytes in base64, so that a dead-lettered or
 * re-driven copy keeps them byte for byte instead of U+FFFD replacement characters. Brokers
 * remove the marker again when they publish the message.
 */
export const BODY_BASE64_HEADER = 'x-celeriac-body-base64';

/** A task message as every broker carries it. `body` is the encoded JSON text. */
export interface TaskMessage {
  headers: TaskHeaders;
  properties: TaskProperties;
  contentType: string;
  contentEncoding: string;
  body: string;
}

/** The decoded body: `[args, kwargs, embed]`. */
export type TaskBody = [unknown[], Record<string, unknown>, MessageEmbed];
