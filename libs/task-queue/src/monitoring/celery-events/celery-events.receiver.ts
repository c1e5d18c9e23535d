import { randomUUID } from 'node:crypto';
import type {
  BroadcastTransport,
  ExchangeSubscription,
  IncomingMessage,
} from '../../contracts/broadcast-transport.interface.js';
import { EVENT_EXCHANGE } from '../../broadcast/pidbox.names.js';

/** One Celery event as it travels on `celeryev` (docs/protocol.md#event-fields). */
export type ReceivedCeleryEvent = Readonly<Record<string, unknown>> & {
  readonly type: string;
  readonly hostname?: string;
  readonly timestamp?: number;
};

/**
 * Receives the Celery events of the whole cluster, as `celery events` and celery-exporter
 * do: an exclusive, self-expiring queue `celeryev.<uuid>` bound to the `celeryev` topic
 * exchange with `#`, `task.multi` batches unpacked. Every worker, Python or Node, counts.
 */
export class CeleryEventsReceiver {
  private subscription?: ExchangeSubscription;

  constructor(
    private readonly transport: BroadcastTransport,
    private readonly handler: (event: ReceivedCeleryEvent) => void,
  ) {}

  async start(): Promise<void> {
    this.subscription ??= await this.transport.subscribe(
      {
        exchange: EVENT_EXCHANGE,
        queue: `celeryev.${randomUUID()}`,
        bindingKey: '#',
        // As Celery's event receivers declare theirs: messages expire, the queue too.
        queueArguments: { 'x-message-ttl': 5_000, 'x-expires': 60_000 },
      },
      (message) => this.receive(message),
    );
  }

  async stop(): Promise<void> {
    const subscription = this.subscription;
    this.subscription = undefined;
    await subscription?.cancel();
  }

  private receive(message: IncomingMessage): void {
    const events = Array.isArray(message.body) ? message.body : [message.body];
    for (const event of events) {
      if (
        typeof event === 'object' &&
        event !== null &&
        typeof (event as { type?: unknown }).type === 'string'
      )
        this.handler(event as ReceivedCeleryEvent);
    }
  }
}
