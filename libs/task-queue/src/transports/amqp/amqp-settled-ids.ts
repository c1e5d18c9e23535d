import type { ConsumeMessage } from 'amqplib';

const MAX_IDS = 10_000;
const KEEP_MS = 15 * 60_000;

/**
 * Task ids this consumer acked lately. An ack can be lost with its connection (RabbitMQ
 * closed it, for instance when a synchronous handler held the event loop past the heartbeat
 * timeout, and the ack went out too late or never): RabbitMQ then delivers the message again,
 * flagged `redelivered`. A redelivered message whose task id this consumer already acked ran
 * here to its end (its result stored, its retry or dead letter published), so it is acked
 * without running it again. Bounded: the oldest ids are forgotten first.
 */
export class AmqpSettledIds {
  private readonly ids = new Map<string, number>();

  /** The message's task was acked by this consumer. */
  remember(raw: ConsumeMessage): void {
    const id = taskIdOf(raw);
    if (id === undefined) return;
    this.ids.delete(id);
    this.ids.set(id, Date.now());
    if (this.ids.size > MAX_IDS) this.ids.delete(this.ids.keys().next().value!);
  }

  /** True when `raw` is a redelivery of a task this consumer acked less than 15 min ago. */
  alreadySettled(raw: ConsumeMessage): boolean {
    if (!raw.fields.redelivered) return false;
    const id = taskIdOf(raw);
    const at = id === undefined ? undefined : this.ids.get(id);
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
