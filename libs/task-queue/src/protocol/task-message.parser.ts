import { InvalidMessageError } from '../errors/invalid-message.error.js';
import {
  BODY_BASE64_HEADER,
  type MessageEmbed,
  type TaskMessage,
} from '../contracts/task-message.interface.js';
import { parseCeleryDate } from './json-codec.js';
import { decompressBody } from './message-compression.js';
import { checkCanvasFields, parseEmbed } from './message-embed.js';
import { decodePythonJson } from './python-floats.js';
import type { TaskRequest } from './task-request.js';
import { parseTimeLimitHeader } from './time-limit-header.js';

/** Hears what the parser ignored in a message it accepted (one line each, for a WARN). */
export type ParseWarning = (message: string) => void;

/**
 * The content types read, compared as kombu compares them with `accept_content` (the exact
 * string): Celery's json serializer writes `application/json`, and Celery refuses aliases such
 * as `application/x-json` or `json` (ContentDisallowed).
 */
const JSON_TYPES = new Set(['application/json']);
/** The start Celery's parse_iso8601 requires: a calendar date. */
const ISO_DATE = /^\d{4}-\d{2}-\d{2}/;

/**
 * Decode and validate a task message. Accepts protocol v2 and the legacy v1 body
 * (docs/protocol.md#protocol-v1); throws InvalidMessageError saying what is wrong. `queue` is
 * the routing key it was delivered with, when a worker received it. `warn` hears what was
 * ignored (a malformed `timelimit`).
 */
export function parseTaskMessage(
  message: TaskMessage,
  queue: string | null = null,
  warn: ParseWarning = () => undefined,
): TaskRequest {
  if (!JSON_TYPES.has(message.contentType)) {
    throw new InvalidMessageError(
      `Unsupported content type "${message.contentType}": only JSON is accepted ` +
        `(set task_serializer='json' on Python producers).`,
    );
  }
  const headers = (message.headers ?? {}) as Record<string, unknown>;
  const body = decodePythonJson(bodyText(message, headers));
  return typeof headers.task === 'string'
    ? parseV2(message, headers, body, queue, warn)
    : parseV1(message, body, queue, warn);
}

/** The body's JSON text: decompressed when kombu compressed it (its `compression` header). */
function bodyText(message: TaskMessage, headers: Record<string, unknown>): string {
  if (headers.compression != null) return decompressBody(message, headers.compression);
  // The transport kept bytes that are not UTF-8 in base64: JSON.parse would only see base64.
  if (headers[BODY_BASE64_HEADER] === true) throw notUtf8(message.body);
  return message.body;
}

function notUtf8(base64: string): InvalidMessageError {
  return new InvalidMessageError(
    `The message body is not UTF-8 text (${Buffer.from(base64, 'base64').length} bytes), so it ` +
      `cannot be JSON: publish it with Celery's json serializer, or encode the body as UTF-8.`,
  );
}

function parseV2(
  message: TaskMessage,
  headers: Record<string, unknown>,
  body: unknown,
  queue: string | null,
  warn: ParseWarning,
): TaskRequest {
  const id = requireString(headers.id, 'headers.id');
  // Celery unpacks it as `args, kwargs, embed = body`: any other shape is refused, not run
  // with extra elements dropped or a missing embed guessed (Celery's worker stops on them).
  if (!Array.isArray(body) || body.length !== 3) {
    const got = Array.isArray(body) ? `${body.length} elements: ` : '';
    throw new InvalidMessageError(
      `Task ${id}: the body must be [args, kwargs, embed] (3 elements), got ` +
        `${got}${describe(body)}. The task was not run: fix the producer to send exactly ` +
        `[args, kwargs, embed] (Celery's protocol 2), then redrive the message.`,
    );
  }
  const [args, kwargs, embed] = body as [unknown, unknown, unknown];
  const timeLimit = timeLimits(headers.timelimit, 'header', id, warn);
  return {
    id,
    name: headers.task as string,
    args: requireArray(args, id),
    kwargs: requireObject(kwargs, id),
    embed: parseEmbed(embed, id),
    retries: retriesOf(headers.retries, 'header', id, warn),
    eta: celeryTime(headers.eta, 'eta', id),
    expires: celeryTime(headers.expires, 'expires', id),
    rootId: typeof headers.root_id === 'string' ? headers.root_id : id,
    parentId: typeof headers.parent_id === 'string' ? headers.parent_id : null,
    group: typeof headers.group === 'string' ? headers.group : null,
    groupIndex: typeof headers.group_index === 'number' ? headers.group_index : null,
    timeLimit,
    ignoreResult: headers.ignore_result === true,
    replyTo: typeof message.properties?.reply_to === 'string' ? message.properties.reply_to : '',
    correlationId: String(message.properties?.correlation_id ?? id),
    origin: typeof headers.origin === 'string' ? headers.origin : null,
    headers,
    message,
    queue,
  };
}

function parseV1(
  message: TaskMessage,
  body: unknown,
  queue: string | null,
  warn: ParseWarning,
): TaskRequest {
  if (!isObject(body) || typeof body.task !== 'string') {
    throw new InvalidMessageError(
      `Not a Celery task message: no "task" header (protocol v2) and no "task" field in the ` +
        `body (protocol v1). Got ${describe(body)}.`,
    );
  }
  const id = requireString(body.id, 'body.id');
  checkCanvasFields(
    { callbacks: body.callbacks, errbacks: body.errbacks, chord: body.chord },
    id,
    'body.',
  );
  const timeLimit = timeLimits(body.timelimit, 'field (protocol v1)', id, warn);
  return {
    id,
    name: body.task,
    args: requireArray(body.args ?? [], id),
    kwargs: requireObject(body.kwargs ?? {}, id),
    embed: {
      callbacks: (body.callbacks as MessageEmbed['callbacks']) ?? null,
      errbacks: (body.errbacks as MessageEmbed['errbacks']) ?? null,
      chain: null,
      chord: (body.chord as MessageEmbed['chord']) ?? null,
    },
    retries: retriesOf(body.retries, 'field (protocol v1)', id, warn),
    eta: celeryTime(body.eta, 'eta', id),
    expires: celeryTime(body.expires, 'expires', id),
    rootId: id,
    parentId: null,
    // Celery's proto1_to_proto2: `taskset` wins over `group`; `group_index` orders chord parts.
    group: stringOr(body.taskset, stringOr(body.group, null)),
    groupIndex: typeof body.group_index === 'number' ? body.group_index : null,
    timeLimit,
    ignoreResult: false,
    replyTo: typeof message.properties?.reply_to === 'string' ? message.properties.reply_to : '',
    correlationId: String(message.properties?.correlation_id ?? id),
    origin: null,
    headers: { ...message.headers, task: body.task, id },
    message,
    queue,
  };
}

/**
 * `eta` / `expires`: an ISO 8601 time (naive = UTC) or nothing. Anything else fails the message,
 * as Python's worker rejects it (`invalid ETA value`): `new Date()` would read 12345 as a year
 * and a word as "now".
 */
function celeryTime(value: unknown, field: 'eta' | 'expires', id: string): Date | null {
  if (value === null || value === undefined || value === '') return null;
  const date = typeof value === 'string' && ISO_DATE.test(value) ? parseCeleryDate(value) : null;
  if (!date) {
    throw new InvalidMessageError(
      `Task ${id}: invalid ${field} ${describe(value)}: expected an ISO 8601 time such as ` +
        `"2026-01-31T12:00:00+00:00" (Celery writes datetime.isoformat()), or null.`,
    );
  }
  return date;
}

function stringOr<T>(value: unknown, fallback: T): string | T {
  return typeof value === 'string' ? value : fallback;
}

function requireString(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidMessageError(`The message has no ${field} (a non-empty string is required).`);
  }
  return value;
}

function requireArray(value: unknown, id: string): unknown[] {
  if (!Array.isArray(value)) {
    throw new InvalidMessageError(`Task ${id}: args must be an array, got ${describe(value)}.`);
  }
  return value;
}

function requireObject(value: unknown, id: string): Record<string, unknown> {
  if (!isObject(value)) {
    throw new InvalidMessageError(`Task ${id}: kwargs must be an object, got ${describe(value)}.`);
  }
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The message's `[hard, soft]` limits; a malformed value is ignored with one warning. */
function timeLimits(
  value: unknown,
  where: string,
  id: string,
  warn: ParseWarning,
): TaskRequest['timeLimit'] {
  return parseTimeLimitHeader(value, (reason) =>
    warn(
      `Task ${id}: ignored its timelimit ${where} ${describe(value)}: ${reason}. It runs with ` +
        `the task's own time limits (timeLimit / softTimeLimit); fix the producer that wrote it.`,
    ),
  );
}

/**
 * The `retries` count: a number, or a whole number written as a string (" 3 "), read as
 * Python's `int()` would; absent is 0. Anything else also counts as 0, with one warning, so a
 * task whose producer wrote it badly runs rather than failing when it retries.
 */
function retriesOf(value: unknown, where: string, id: string, warn: ParseWarning): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (value === null || value === undefined) return 0;
  if (typeof value === 'string' && /^\s*[+-]?\d(?:_?\d)*\s*$/.test(value)) {
    return Number(value.replace(/[\s_]/g, ''));
  }
  warn(
    `Task ${id}: read its retries ${where} ${describe(value)} as 0: expected a whole number ` +
      `(Celery counts the task's retries there); fix the producer that wrote it.`,
  );
  return 0;
}

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
