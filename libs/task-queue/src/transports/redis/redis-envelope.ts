import { InvalidMessageError } from '../../errors/invalid-message.error.js';
import { MessageTooLargeError } from '../../errors/message-too-large.error.js';
import {
  BODY_BASE64_HEADER,
  type TaskMessage,
  type TaskProperties,
} from '../../contracts/task-message.interface.js';
import { SENT_AT_HEADER } from '../../contracts/queue-stats.interface.js';
import { base64ToUtf8, utf8ToBase64 } from '../../utils/base64-text.js';

/** Properties kombu's Redis transport adds; they describe one delivery, not the task. */
const TRANSPORT_PROPERTIES = ['delivery_info', 'body_encoding', 'delivery_tag'];

/** Where an envelope is going, as kombu records it. */
export interface EnvelopeRoute {
  exchange: string;
  routingKey: string;
  priority: number;
  deliveryTag: string;
  /** Stamped as the SENT_AT_HEADER (epoch ms the message becomes ready). */
  sentAt?: number;
}

/** An envelope read back from Redis. */
export interface DecodedEnvelope {
  message: TaskMessage;
  redelivered: boolean;
  exchange: string;
  routingKey: string;
  priority: number;
}

/**
 * The kombu Redis envelope (docs/protocol.md#redis-envelope), in the key order Python
 * writes: body (base64), content-encoding, content-type, headers, properties with
 * delivery_info, priority, body_encoding and delivery_tag.
 *
 * Written as text around `JSON.stringify` of the parts: building and serializing a spread
 * copy of the properties cost more than everything else a publish does.
 */
export function encodeEnvelope(message: TaskMessage, route: EnvelopeRoute): string {
  try {
    return envelopeText(message, route);
  } catch (error) {
    if (!isStringTooLong(error)) throw error;
    const size = Buffer.byteLength(message.body);
    throw new MessageTooLargeError(
      `The task message (a body of ${size} bytes) is too large for the Redis transport: its ` +
        `envelope, one JSON text with the body in base64, would be longer than the longest ` +
        `JavaScript string (${LONGEST_STRING} characters, about 512 MiB); nothing was sent. ` +
        `Send less (store large payloads elsewhere and pass a reference).`,
      size,
      LONGEST_STRING,
    );
  }
}

/** V8's longest string, in characters. */
const LONGEST_STRING = 2 ** 29 - 24;

function isStringTooLong(error: unknown): boolean {
  return (
    error instanceof Error &&
    /invalid string length|^Cannot create a string longer than/i.test(error.message)
  );
}

function envelopeText(message: TaskMessage, route: EnvelopeRoute): string {
  let headers = message.headers as Record<string, unknown>;
  let body: string;
  if (headers[BODY_BASE64_HEADER] === true) {
    // Bytes that are not UTF-8 text, already in base64 (see decodeEnvelope): written as read.
    body = message.body;
    headers = { ...headers };
    delete headers[BODY_BASE64_HEADER];
  } else {
    body = utf8ToBase64(message.body);
  }
  return (
    `{"body":"${body}","content-encoding":${JSON.stringify(message.contentEncoding)},` +
    `"content-type":${JSON.stringify(message.contentType)},` +
    `"headers":${headersText(headers, route.sentAt)},"properties":${propertiesText(message.properties, route)}}`
  );
}

/** The headers as JSON, the send time last (read by commands/queueStats-3.lua). */
function headersText(headers: Record<string, unknown>, sentAt: number | undefined): string {
  if (sentAt === undefined) return JSON.stringify(headers);
  if (SENT_AT_HEADER in headers) {
    headers = { ...headers };
    delete headers[SENT_AT_HEADER];
  }
  const text = JSON.stringify(headers);
  const stamp = `"${SENT_AT_HEADER}":${Math.trunc(sentAt)}}`;
  return text.length > 2 ? `${text.slice(0, -1)},${stamp}` : `{${stamp}`;
}

/** The properties object as JSON: the message's own ones, then kombu's transport ones. */
function propertiesText(properties: TaskProperties, route: EnvelopeRoute): string {
  const own = properties as Record<string, unknown>;
  let text = '{';
  for (const key of Object.keys(own)) {
    if (key === 'priority' || TRANSPORT_PROPERTIES.includes(key)) continue;
    const value = JSON.stringify(own[key]);
    if (value !== undefined) text += `${JSON.stringify(key)}:${value},`;
  }
  const info = `{"exchange":${JSON.stringify(route.exchange)},"routing_key":${JSON.stringify(route.routingKey)}}`;
  return (
    `${text}"delivery_info":${info},"priority":${route.priority},` +
    `"body_encoding":"base64","delivery_tag":${JSON.stringify(route.deliveryTag)}}`
  );
}

/** The `[envelope, exchange, routing_key]` entry kombu keeps in `unacked` (and we park). */
export function encodeEntry(envelope: string, exchange: string, routingKey: string): string {
  return `[${envelope}, ${JSON.stringify(exchange)}, ${JSON.stringify(routingKey)}]`;
}

/** Read an envelope written by kombu or by us; throws InvalidMessageError for garbage. */
export function decodeEnvelope(raw: string, queue: string): DecodedEnvelope {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new InvalidMessageError(`Not a kombu envelope (invalid JSON): ${preview(raw)}`, {
      cause: error,
    });
  }
  if (!isRecord(parsed) || !isRecord(parsed.properties)) {
    throw new InvalidMessageError(`Not a kombu envelope (no properties object): ${preview(raw)}`);
  }
  const props = parsed.properties;
  const info = isRecord(props.delivery_info) ? props.delivery_info : {};
  const headers = isRecord(parsed.headers) ? parsed.headers : {};
  const rawBody = parsed.body;
  const text = typeof rawBody === 'string' ? rawBody : JSON.stringify(rawBody ?? null);
  let body = props.body_encoding === 'base64' ? base64ToUtf8(text) : text;
  // Only a body with a replacement character can be invalid UTF-8: check exactly then, and
  // keep such bytes in base64 (marked) so that dead letters and redrives do not alter them.
  if (body !== text && body.includes('\uFFFD') && !sameBytes(body, text)) {
    body = Buffer.from(text, 'base64').toString('base64');
    headers[BODY_BASE64_HEADER] = true;
  }
  return {
    message: {
      headers: headers as TaskMessage['headers'],
      // As kombu reads them, transport keys included; encodeEnvelope never writes those back.
      properties: props as TaskProperties,
      contentType: stringOr(parsed['content-type'], 'application/json'),
      contentEncoding: stringOr(parsed['content-encoding'], 'utf-8'),
      body,
    },
    redelivered: headers.redelivered === true || info.redelivered === true,
    exchange: stringOr(info.exchange, ''),
    routingKey: stringOr(info.routing_key, queue),
    priority: typeof props.priority === 'number' ? props.priority : 0,
  };
}

/** True when UTF-8 `body` is exactly the bytes that base64 `encoded` holds. */
function sameBytes(body: string, encoded: string): boolean {
  return Buffer.from(body, 'utf8').equals(Buffer.from(encoded, 'base64'));
}

/**
 * What an entry fetch-2.lua could not take is, for the log: the reason Node finds, else what
 * only Lua's reader refuses (cjson reads 1000 levels of nesting), naming the message when its
 * id can be read.
 */
export function unreadable(raw: string, queue: string): string {
  let reason: string;
  try {
    decodeEnvelope(raw, queue);
    // JSON Node reads (a NUL byte is never valid JSON text): only the nesting is left.
    reason = "Redis's Lua JSON reader (cjson) cannot decode it: nested deeper than 1000 levels";
  } catch (error) {
    const message = (error as Error).message.replace(/: .*$/s, '');
    reason = message.charAt(0).toLowerCase() + message.slice(1);
  }
  const id = idOf(raw);
  return `${id ? `message ${id}` : 'an entry'} that cannot be read (${reason})`;
}

/** The task id of an envelope Node can parse, cut short, or undefined. */
function idOf(raw: string): string | undefined {
  try {
    const parsed = JSON.parse(raw) as { headers?: { id?: unknown } } | null;
    const id = parsed?.headers?.id;
    return typeof id === 'string' && id ? preview(id).slice(0, 120) : undefined;
  } catch {
    return undefined;
  }
}

/** The first characters of an unreadable entry, for logs. */
export function preview(raw: string): string {
  return raw.length > 200 ? `${raw.slice(0, 197)}...` : raw;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}
