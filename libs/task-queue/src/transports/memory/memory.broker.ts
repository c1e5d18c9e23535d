import type {
  Broker,
  ConsumeOptions,
  Consumer,
  DeliveryHandler,
  ParkedMessage,
  PublishOptions,
} from '../../contracts/broker.interface.js';
import type { QueueStats } from '../../contracts/queue-stats.interface.js';
import type { TaskMessage } from '../../contracts/task-message.interface.js';
import { acquireShared, type SharedLease } from '../../utils/shared-by-name.js';
import { TaskQueueError } from '../../errors/task-queue.error.js';
import { MemoryBindings } from './memory-bindings.js';
import { MemoryBrokerStore } from './memory-broker.store.js';

/**
 * The embedded broker (`memory://`): zero set-up, faithful to the broker contract (acks,
 * requeue, priorities with AMQP's "9 first", ETA held until due). Messages live in this
 * process only: use Redis or RabbitMQ to survive restarts or to share work between processes.
 */
export class MemoryBroker implements Broker {
  readonly transport = 'memory';
  readonly priorityOrder = 'higher-first' as const;
  private readonly lease: SharedLease<{ store: MemoryBrokerStore; bindings: MemoryBindings }>;
  private readonly store: MemoryBrokerStore;
  private readonly bindings: MemoryBindings;
  private readonly consumers = new Set<ReturnType<MemoryBrokerStore['addConsumer']>>();

  /**
   * @param name a store shared by the instances of this process made with that name, until the
   * last of them closes; omit for a private one.
   */
  constructor(name?: string) {
    this.lease = acquireShared(
      'memory-broker',
      name,
      () => ({ store: new MemoryBrokerStore(), bindings: new MemoryBindings() }),
      ({ store }) => store.dispose(),
    );
    this.store = this.lease.value.store;
    this.bindings = this.lease.value.bindings;
  }

  async connect(): Promise<void> {}

  async publish(message: TaskMessage, options: PublishOptions): Promise<void> {
    const priority = options.priority ?? message.properties.priority ?? 0;
    this.bindings.declare(options.queue);
    const { exchange, routingKey, notBefore } = options;
    if (!exchange || !routingKey || (notBefore && notBefore.getTime() > Date.now())) {
      this.store.enqueue(options.queue, message, priority, notBefore);
      return;
    }
    // A direct exchange, as kombu's: every queue bound with exactly that key gets a copy.
    const queues = this.bindings.queues(exchange, routingKey);
    if (queues.length === 0) {
      throw new TaskQueueError(
        `No queue is bound to exchange "${exchange}" with routing key "${routingKey}" in ` +
          `this memory:// broker, so task ${message.headers.id} was not stored (kombu would ` +
          `drop it). Consume or send to a queue bound there first (bindDirect(), or a queue ` +
          `named like the exchange and key), or fix the key.`,
      );
    }
    for (const queue of queues) {
      this.store.enqueue(queue, message, priority, undefined, { exchange, routingKey });
    }
  }

  /** Bind `queue` to the direct `exchange` with `routingKey` (kombu's `Queue(queue, Exchange(exchange), routingKey)`). */
  async bindDirect(queue: string, exchange: string, routingKey: string): Promise<void> {
    this.bindings.bind(queue, exchange, routingKey);
  }

  async consume(
    queues: string[],
    handler: DeliveryHandler,
    options: ConsumeOptions,
  ): Promise<Consumer> {
    for (const queue of queues) this.bindings.declare(queue);
    const state = this.store.addConsumer([...queues], handler, options.prefetch);
    this.consumers.add(state);
    return {
      cancel: async () => {
        this.store.cancelConsumer(state);
      },
    };
  }

  async purge(queue: string): Promise<number> {
    return this.store.purge(queue);
  }

  async queueLength(queue: string): Promise<number> {
    return this.store.length(queue);
  }

  async parked(queues: string[], limit: number): Promise<ParkedMessage[]> {
    return this.store.parked(queues, limit);
  }

  async ping(): Promise<void> {}

  async queueStats(queues: string[]): Promise<QueueStats[]> {
    return queues.map((queue) => this.store.stats(queue));
  }

  async close(): Promise<void> {
    for (const state of this.consumers) this.store.releaseConsumer(state);
    this.consumers.clear();
    this.lease.release();
  }
}
