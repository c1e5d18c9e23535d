import { Logger } from '@nestjs/common';
import type { BroadcastTransport } from '../../contracts/broadcast-transport.interface.js';
import { EVENT_EXCHANGE } from '../../broadcast/pidbox.names.js';
import { type CeleryEvent, eventRoutingKey } from './event-fields.js';

/** Celery flushes its task-event buffer at 24 events (docs/protocol.md#event-transport). */
const MAX_BATCH = 24;

/**
 * Publishes events on `celeryev` (docs/protocol.md#event-transport): worker events one by one with their own routing key,
 * task events buffered and sent as one `task.multi` array per loop tick (or 24 events), as
 * Celery's workers do. Headers `{hostname}`, transient delivery.
 */
export class CeleryEventSender {
  private readonly logger = new Logger('CeleryEvents');
  private buffer: CeleryEvent[] = [];
  private flushing?: NodeJS.Immediate;
  private failures = 0;

  constructor(
    private readonly transport: BroadcastTransport,
    private readonly hostname: string,
  ) {}

  /** Publish one event now, with routing key `type` (`-` → `.`). */
  async send(event: CeleryEvent): Promise<void> {
    await this.publish(eventRoutingKey(event.type), event);
  }

  /** Buffer a task event; it goes out in the next `task.multi` batch. */
  queue(event: CeleryEvent): void {
    this.buffer.push(event);
    if (this.buffer.length >= MAX_BATCH) void this.flush();
    else this.flushing ??= setImmediate(() => void this.flush());
  }

  /** Send whatever is buffered. */
  async flush(): Promise<void> {
    if (this.flushing) clearImmediate(this.flushing);
    this.flushing = undefined;
    const batch = this.buffer;
    this.buffer = [];
    if (batch.length) await this.publish('task.multi', batch);
  }

  /** Wait until the broker has handled what was sent (before a shared connection closes). */
  async settle(): Promise<void> {
    await this.transport.flush?.().catch(() => undefined);
  }

  private async publish(routingKey: string, body: CeleryEvent | CeleryEvent[]): Promise<void> {
    try {
      await this.transport.publish(EVENT_EXCHANGE, routingKey, {
        body,
        headers: { hostname: this.hostname },
        deliveryMode: 1,
      });
      if (this.failures) this.logger.log(`Celery events are being delivered again.`);
      this.failures = 0;
    } catch (error) {
      if (this.failures++ === 0) {
        this.logger.warn(
          `Could not publish Celery event "${routingKey}": ${(error as Error).message.replace(/\.$/, '')}. ` +
            `Monitors (celery events, Flower) may show this worker offline until the broker is reachable.`,
        );
      }
    }
  }
}
