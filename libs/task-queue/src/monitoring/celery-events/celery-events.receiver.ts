import { randomUUID } from 'node:crypto';
import { Injectable, Logger, type OnApplicationShutdown, Optional } from '@nestjs/common';
import { Observable, share } from 'rxjs';
import { ConfigurationError } from '../../errors/configuration.error.js';
import { EVENT_EXCHANGE, EVENT_QUEUE_ARGUMENTS } from '../../broadcast/pidbox.names.js';
import type {
  BroadcastTransport,
  IncomingMessage,
} from '../../contracts/broadcast-transport.interface.js';
import { createBroadcastTransport } from '../../transports/broadcast-transport.factory.js';
import { BroadcastTransportHost } from '../../transports/broadcast-transport.host.js';
import type { CeleryEvent } from './event-fields.js';

/**
 * Receives the Celery events of every worker on the broker, Python or Celeriac, as `celery
 * events` and Flower do (docs/protocol.md#event-transport): a `celeryev.<uuid>` queue bound to
 * the `celeryev` topic exchange with `#`, `task.multi` batches unpacked into single events.
 *
 * Costs nothing until someone subscribes to {@link events$}; the binding is removed when the
 * last subscriber leaves. Injectable (shares the module's broker connection), or standalone
 * with {@link CeleryEventsReceiver.connect}.
 *
 * @example
 * const receiver = await CeleryEventsReceiver.connect('redis://localhost:6379/0');
 * receiver.events$.subscribe((event) => console.log(event.type, event.hostname));
 * @publicApi
 */
@Injectable()
export class CeleryEventsReceiver implements OnApplicationShutdown {
  private readonly logger = new Logger('CeleryEvents');
  private transport?: BroadcastTransport;

  /** Every event received, one at a time (a `task.multi` batch arrives as its events in order). */
  readonly events$: Observable<CeleryEvent>;

  constructor(@Optional() private readonly host?: BroadcastTransportHost) {
    this.events$ = new Observable<CeleryEvent>((subscriber) => {
      let cancel: (() => Promise<void>) | undefined;
      let closed = false;
      this.getTransport()
        .then((transport) =>
          transport.subscribe(
            {
              exchange: EVENT_EXCHANGE,
              queue: `celeryev.${randomUUID()}`,
              bindingKey: '#',
              queueArguments: EVENT_QUEUE_ARGUMENTS,
            },
            (message) => {
              for (const event of unpack(message)) subscriber.next(event);
            },
          ),
        )
        .then((subscription) => {
          cancel = () => subscription.cancel();
          if (closed) void cancel().catch(() => undefined);
        })
        .catch((error: Error) => {
          this.logger.warn(`Cannot receive Celery events: ${error.message}.`);
          subscriber.error(error);
        });
      return () => {
        closed = true;
        void cancel?.().catch(() => undefined);
      };
    }).pipe(share());
  }

  /** A standalone receiver on `brokerUrl` (`redis://`, `amqp://`, `memory://name`). */
  static async connect(brokerUrl: string): Promise<CeleryEventsReceiver> {
    const receiver = new CeleryEventsReceiver();
    receiver.transport = await createBroadcastTransport(brokerUrl);
    return receiver;
  }

  /** Close the standalone transport (injected receivers share the module's and skip this). */
  async close(): Promise<void> {
    if (this.host || !this.transport) return;
    const transport = this.transport;
    this.transport = undefined;
    await transport.close();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  private async getTransport(): Promise<BroadcastTransport> {
    if (this.transport) return this.transport;
    if (!this.host) {
      throw new ConfigurationError(
        'CeleryEventsReceiver has no broker: inject it from TaskQueueModule or create one with CeleryEventsReceiver.connect(brokerUrl).',
      );
    }
    return this.host.get();
  }
}

/** The events of one message: a `task.multi` array, or one event. Malformed entries are skipped. */
function unpack(message: IncomingMessage): CeleryEvent[] {
  const items = Array.isArray(message.body) ? message.body : [message.body];
  return items.filter(
    (item): item is CeleryEvent =>
      typeof item === 'object' &&
      item !== null &&
      typeof (item as { type?: unknown }).type === 'string',
  );
}
