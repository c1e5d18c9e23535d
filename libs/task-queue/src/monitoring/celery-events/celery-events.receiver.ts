import { randomUUID } from 'node:crypto';
import { Injectable, Logger, type OnApplicationShutdown, Optional } from '@nestjs/common';
import { Observable, share } from 'rxjs';
import { EVENT_EXCHANGE, EVENT_QUEUE_ARGUMENTS } from '../../broadcast/pidbox.names.js';
import type { IncomingMessage } from '../../contracts/broadcast-transport.interface.js';
import { BroadcastTransportHolder } from '../../transports/broadcast-transport.holder.js';
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
  private readonly transport: BroadcastTransportHolder;

  /** Every event received, one at a time (a `task.multi` batch arrives as its events in order). */
  readonly events$: Observable<CeleryEvent>;

  constructor(@Optional() host?: BroadcastTransportHost) {
    this.transport = new BroadcastTransportHolder(host, 'CeleryEventsReceiver');
    this.events$ = new Observable<CeleryEvent>((subscriber) => {
      let cancel: (() => Promise<void>) | undefined;
      let closed = false;
      this.transport
        .get()
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
    await receiver.transport.connect(brokerUrl);
    return receiver;
  }

  /** Close the standalone transport (injected receivers share the module's and skip this). */
  close(): Promise<void> {
    return this.transport.close();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
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
