import type {
  Broker,
  ConsumeOptions,
  Consumer,
  DeliveryHandler,
  ParkedMessage,
  PublishOptions,
} from '../contracts/broker.interface.js';
import type { QueueStats } from '../contracts/queue-stats.interface.js';
import type { TaskMessage } from '../contracts/task-message.interface.js';

/** One publish seen by the RecordingBroker. */
export interface RecordedPublish {
  message: TaskMessage;
  options: PublishOptions;
  /** Task name, for convenience. */
  name: string;
  /** Decoded positional arguments. */
  args: unknown[];
  kwargs: Record<string, unknown>;
}

/** A broker that records every publish and delegates to another one. @publicApi */
export class RecordingBroker implements Broker {
  readonly published: RecordedPublish[] = [];

  readonly queueStats?: (queues: string[]) => Promise<QueueStats[]>;
  readonly parked?: (queues: string[], limit: number) => Promise<ParkedMessage[]>;
  /** The broker recorded: events and remote control use its transport. */
  readonly wrapped: Broker;

  constructor(private readonly inner: Broker) {
    this.wrapped = inner;
    // The optional capabilities exist exactly when the wrapped broker has them.
    if (inner.queueStats) this.queueStats = (queues) => inner.queueStats!(queues);
    if (inner.parked) this.parked = (queues, limit) => inner.parked!(queues, limit);
  }

  get transport(): string {
    return this.inner.transport;
  }
  get priorityOrder(): Broker['priorityOrder'] {
    return this.inner.priorityOrder;
  }

  connect(): Promise<void> {
    return this.inner.connect();
  }

  async publish(message: TaskMessage, options: PublishOptions): Promise<void> {
    const [args, kwargs] = JSON.parse(message.body) as [unknown[], Record<string, unknown>];
    this.published.push({ message, options, name: message.headers.task, args, kwargs });
    await this.inner.publish(message, options);
  }

  consume(queues: string[], handler: DeliveryHandler, options: ConsumeOptions): Promise<Consumer> {
    return this.inner.consume(queues, handler, options);
  }

  purge(queue: string): Promise<number> {
    return this.inner.purge(queue);
  }

  queueLength(queue: string): Promise<number> {
    return this.inner.queueLength(queue);
  }

  ping(): Promise<void> {
    return this.inner.ping();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
