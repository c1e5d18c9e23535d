import { type Message, type Options } from 'amqplib';
import {
  BODY_BASE64_HEADER,
  type TaskHeaders,
  type TaskMessage,
  type TaskProperties,
} from '../../contracts/task-message.interface.js';
import {
  type DelayRoute,
  isBrokerDeathHeader,
  isParkHeader,
  NOT_BEFORE_HEADER,
  VIA_EXCHANGE_HEADER,
  VIA_ROUTING_KEY_HEADER,
} from './amqp.delay.js';
import { SENT_AT_HEADER } from '../../contracts/queue-stats.interface.js';

export { BODY_BASE64_HEADER };

/**
 * A message as amqplib publishes it. `options.headers` belongs to this one publish: the
 * publisher types its integers in place for py-amqp (see amqp-field-table.ts).
 */
export interface AmqpOutgoing {
  content: Buffer;
  options: Options.Publish;
}

/**
 * Task message → AMQP basic properties and body, as Celery sends them
 * (docs/protocol.md#rabbitmq-message-properties): `content_type`, `content_encoding`, `delivery_mode`, `priority`,
 * `correlation_id`, `reply_to`, optional `expiration`; headers = the task headers; body = the
 * raw JSON text. Broker-only extras of `properties` have no AMQP field and are not sent.
 */
export function encodeAmqpMessage(
  message: TaskMessage,
  priority: number,
  extraHeaders: Record<string, unknown> = {},
  keepExpiration = true,
): AmqpOutgoing {
  const headers: Record<string, unknown> = {};
  let binary = false;
  // Keyed loops, not Object.entries of a spread copy: this runs for every publish.
  // The order of `{ ...message.headers, ...extraHeaders }`.
  const own = message.headers as Record<string, unknown>;
  for (const key of Object.keys(own)) {
    const value = Object.hasOwn(extraHeaders, key) ? extraHeaders[key] : own[key];
    binary = copyHeader(headers, key, value) || binary;
  }
  for (const key of Object.keys(extraHeaders)) {
    if (!Object.hasOwn(own, key)) binary = copyHeader(headers, key, extraHeaders[key]) || binary;
  }
  const props = message.properties;
  const options: Options.Publish = {
    contentType: message.contentType,
    contentEncoding: message.contentEncoding,
    deliveryMode: props.delivery_mode ?? 2,
    priority,
    correlationId: props.correlation_id,
    headers,
  };
  if (props.reply_to) options.replyTo = props.reply_to;
  // The send time as AMQP's own timestamp (seconds) too: the management API reports the
  // queue head's as `head_message_timestamp`, the oldest-age gauge's source on RabbitMQ.
  const sentAt = extraHeaders[SENT_AT_HEADER];
  if (typeof sentAt === 'number') options.timestamp = Math.floor(sentAt / 1000);
  if (keepExpiration && props.expiration !== undefined)
    options.expiration = String(props.expiration);
  return { content: Buffer.from(message.body, binary ? 'base64' : 'utf8'), options };
}

/**
 * AMQP message → task message. RabbitMQ's dead-letter headers and Celeriac's delay headers are
 * removed, so a message that went through the delay ladder looks exactly as it was published.
 */
export function decodeAmqpMessage(raw: Message): TaskMessage {
  const p = raw.properties;
  const headers: Record<string, unknown> = {};
  const received = (p.headers ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(received)) {
    if (!isParkHeader(key) && key !== BODY_BASE64_HEADER && !isBrokerDeathHeader(key))
      headers[key] = received[key];
  }
  const properties: TaskProperties = {
    correlation_id: asString(p.correlationId) ?? asString(headers.id) ?? '',
    reply_to: asString(p.replyTo) ?? '',
    delivery_mode: typeof p.deliveryMode === 'number' ? p.deliveryMode : 2,
    priority: typeof p.priority === 'number' ? p.priority : 0,
  };
  let body = raw.content.toString('utf8');
  // Only a body with a replacement character can be invalid UTF-8: check exactly then.
  if (body.includes('\uFFFD') && !Buffer.from(body, 'utf8').equals(raw.content)) {
    body = raw.content.toString('base64');
    headers[BODY_BASE64_HEADER] = true;
  }
  const expiration = asString(p.expiration);
  if (expiration !== undefined) properties.expiration = expiration;
  return {
    headers: headers as TaskHeaders,
    properties,
    contentType: asString(p.contentType) ?? 'application/json',
    contentEncoding: asString(p.contentEncoding) ?? 'utf-8',
    body,
  };
}

/**
 * Copy one header to an outgoing table: the base64-body marker is not sent (returns whether
 * it is set), nor are undefined values and RabbitMQ's dead-letter headers.
 */
function copyHeader(headers: Record<string, unknown>, key: string, value: unknown): boolean {
  if (key === BODY_BASE64_HEADER) return value === true;
  if (value !== undefined && !isBrokerDeathHeader(key)) headers[key] = value;
  return false;
}

/** The due instant a parked message carries, or null. */
export function notBeforeOf(raw: Message): Date | null {
  const value: unknown = raw.properties.headers?.[NOT_BEFORE_HEADER];
  if (typeof value !== 'string') return null;
  const due = new Date(value);
  return Number.isNaN(due.getTime()) ? null : due;
}

/** The named exchange and routing key a parked copy was first delivered with, or null. */
export function parkedRouteOf(raw: Message): DelayRoute | null {
  const exchange: unknown = raw.properties.headers?.[VIA_EXCHANGE_HEADER];
  const routingKey: unknown = raw.properties.headers?.[VIA_ROUTING_KEY_HEADER];
  if (typeof exchange !== 'string' || !exchange || typeof routingKey !== 'string') return null;
  return { exchange, routingKey };
}

/** The headers that carry `via` on a parked copy: none for the default exchange. */
export function viaHeaders(via: DelayRoute | undefined): Record<string, string> {
  if (!via?.exchange) return {};
  return { [VIA_EXCHANGE_HEADER]: via.exchange, [VIA_ROUTING_KEY_HEADER]: via.routingKey };
}

function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
