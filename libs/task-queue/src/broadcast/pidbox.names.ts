import type { ExchangeSpec } from '../contracts/broadcast-transport.interface.js';

/** `celery.pidbox`: remote-control requests, fanout, non-durable (docs/protocol.md#pidbox-topology). */
export const PIDBOX_EXCHANGE: ExchangeSpec = {
  name: 'celery.pidbox',
  type: 'fanout',
  durable: false,
};

/** `reply.celery.pidbox`: remote-control replies, direct, non-durable (docs/protocol.md#pidbox-topology). */
export const REPLY_EXCHANGE: ExchangeSpec = {
  name: 'reply.celery.pidbox',
  type: 'direct',
  durable: false,
};

/** `celeryev`: events, topic, durable (docs/protocol.md#event-transport). */
export const EVENT_EXCHANGE: ExchangeSpec = { name: 'celeryev', type: 'topic', durable: true };

/** Celery's `control_queue_ttl` (300 s) and `control_queue_expires` (10 s), as AMQP arguments. */
export const PIDBOX_QUEUE_ARGUMENTS = { 'x-message-ttl': 300_000, 'x-expires': 10_000 };

/** Celery's `event_queue_ttl` (5 s) and `event_queue_expires` (60 s), as AMQP arguments. */
export const EVENT_QUEUE_ARGUMENTS = { 'x-message-ttl': 5_000, 'x-expires': 60_000 };

/** A worker's pidbox queue: `<nodename>.celery.pidbox`. */
export function pidboxQueue(nodename: string): string {
  return `${nodename}.${PIDBOX_EXCHANGE.name}`;
}

/** A client's reply queue: `<oid>.reply.celery.pidbox`. */
export function replyQueue(oid: string): string {
  return `${oid}.${REPLY_EXCHANGE.name}`;
}
