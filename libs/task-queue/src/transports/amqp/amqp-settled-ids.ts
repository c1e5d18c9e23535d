import type { ConsumeMessage } from 'amqplib';

const MAX_IDS = 10_000;
const KEEP_MS = 15 * 60_000;

/**
 * Task attempts this consumer settled lately. An ack can be lost with its connection (RabbitMQ
 * closed it, for instance when a synchronous handler held the event loop past the heartbeat
 * timeout, and the ack went out too late or never): RabbitMQ then delivers the message again,
 * flagged `redelivered`. A redelivered message whose attempt this consumer already settled ran
 * here to its end (its result stored, its retry or dead letter published), so it is acked
 * without running it again. An attempt is the task id and its `retries` header: a retry is a
 * new message with the same id, which must run. Bounded: the oldest are forgotten first.
 */
export class AmqpSettledIds {
  private readonly ids = new Map<string, number>();

  /** The message's attempt was settled by this consumer. */
  remember(raw: ConsumeMessage): void {
    const key = attemptOf(raw);
    if (key === undefined) return;
    this.ids.delete(key);
    this.ids.set(key, Date.now());
    if (this.ids.size > MAX_IDS) this.ids.delete(this.ids.keys().next().value!);
  }

  /** True when `raw` is a redelivery of an attempt this consumer settled less than 15 min ago. */
  alreadySettled(raw: ConsumeMessage): boolean {
    if (!raw.fields.redelivered) return false;
    const key = attemptOf(raw);
    const at = key === undefined ? undefined : this.ids.get(key);
    return at !== undefined && Date.now() - at < KEEP_MS;
  }
}

/** The Celery task id: the protocol 2 `id` header, else the correlation id (protocol 1). */
export function taskIdOf(raw: ConsumeMessage): string | undefined {
  const id: unknown = (raw.properties.headers as Record<string, unknown> | undefined)?.id;
  if (typeof id === 'string' && id.length > 0) return id;
  const correlation: unknown = raw.properties.correlationId;
  return typeof correlation === 'string' && correlation.length > 0 ? correlation : undefined;
}

/** `<task id>:<retries>` (protocol 1 keeps `retries` in the body: its retries share a key). */
function attemptOf(raw: ConsumeMessage): string | undefined {
  const id = taskIdOf(raw);
  if (id === undefined) return undefined;
  const retries: unknown = (raw.properties.headers as Record<string, unknown> | undefined)?.retries;
  return `${id}:${typeof retries === 'number' ? retries : 0}`;
}
