import { randomUUID } from 'node:crypto';
import { decodeEnvelope } from './redis-envelope.js';
import { utf8ToBase64 } from '../../utils/base64-text.js';
import type {
  IncomingMessage,
  OutgoingMessage,
} from '../../contracts/broadcast-transport.interface.js';

/**
 * kombu's Redis envelope for events and remote control: the same layout as task messages
 * (docs/protocol.md#redis-envelope, mirrors `encodeEnvelope` in brokers/redis/redis-envelope.ts),
 * with a JSON body.
 */
export function encodeBroadcastEnvelope(
  message: OutgoingMessage,
  exchange: string,
  routingKey: string,
): string {
  return JSON.stringify({
    body: utf8ToBase64(JSON.stringify(message.body)),
    'content-encoding': 'utf-8',
    'content-type': 'application/json',
    headers: message.headers,
    properties: {
      delivery_mode: message.deliveryMode,
      delivery_info: { exchange, routing_key: routingKey },
      priority: 0,
      body_encoding: 'base64',
      delivery_tag: randomUUID(),
    },
  });
}

/**
 * Read an envelope published by kombu or by Celeriac. Throws on garbage (invalid JSON, a
 * non-JSON content type, or a body Node cannot parse such as Python's `NaN`).
 */
export function decodeBroadcastEnvelope(raw: string, fallbackExchange: string): IncomingMessage {
  const decoded = decodeEnvelope(raw, '');
  const type = decoded.message.contentType;
  if (type !== 'application/json') {
    throw new Error(`unsupported content type "${type}" (only JSON is accepted)`);
  }
  return {
    body: JSON.parse(decoded.message.body) as unknown,
    headers: decoded.message.headers as unknown as Record<string, unknown>,
    exchange: decoded.exchange || fallbackExchange,
    routingKey: decoded.routingKey,
  };
}
