import type { ConsumeMessage } from 'amqplib';
import type { IncomingMessage } from '../../contracts/broadcast-transport.interface.js';

/** A JSON event / control message from RabbitMQ, or null when it is not readable JSON. */
export function decodeAmqpMessage(raw: ConsumeMessage): IncomingMessage | null {
  const type = raw.properties.contentType as string | undefined;
  if (type && type !== 'application/json') return null;
  try {
    return {
      body: JSON.parse(raw.content.toString('utf8')) as unknown,
      headers: (raw.properties.headers ?? {}) as Record<string, unknown>,
      exchange: raw.fields.exchange,
      routingKey: raw.fields.routingKey,
    };
  } catch {
    return null;
  }
}
