import { randomUUID } from 'node:crypto';
import type { Delivery, DeliveryHandler, ParkedMessage } from '../../contracts/broker.interface.js';
import type { QueueStats } from '../../contracts/queue-stats.interface.js';
import type { TaskMessage } from '../../contracts/task-message.interface.js';
import { clampPriority, MemoryQueue, type StoredMessage } from './memory-queue.js';

interface ConsumerState {
  id: string;
  queues: string[];
  handler: DeliveryHandler;
  prefetch: number;
  unacked: Map<string, { entry: StoredMessage; queue: string }>;
  /** Tags of unacked deliveries held until their ETA: not counted against `prefetch`. */
  held: Set<string>;
  active: boolean;
}

/**
 * The state behind `memory://` brokers: queues, delayed messages and consumers. A private
 * store backs `memory://`; `memory://<name>` shares one store per process, so a producer app
 * and a worker app in the same process (tests) see the same queues.
 */
export class MemoryBrokerStore {
  private readonly queues = new Map<string, MemoryQueue>();
  private readonly consumers: ConsumerState[] = [];
  /** Messages parked until due, by their timer. */
  private readonly timers = new Map<
    NodeJS.Timeout,
    { queue: string; entry: StoredMessage; due: number }
  >();
  private rotation = 0;
  private pumping = false;
  /**
   * A ref'd handle while any consumer is active: a worker on `memory://` has no socket that
   * keeps Node's event loop alive, and must not exit before it is told to stop.
   */
  private keepAlive: NodeJS.Timeout | undefined;

  enqueue(
    queue: string,
    message: TaskMessage,
    priority: number,
    notBefore?: Date,
    route?: StoredMessage['route'],
  ): void {
    const entry: StoredMessage = {
      message,
      tag: randomUUID(),
      priority: clampPriority(priority),
      redelivered: false,
      ...(route ? { route } : {}),
    };
    this.schedule(queue, entry, notBefore);
  }

  length(queue: string): number {
    return this.queues.get(queue)?.length ?? 0;
  }

  /** Counts of one queue for metrics (see QueueStats). */
  stats(queue: string): QueueStats {
    let unacked = 0;
    let consumers = 0;
    for (const consumer of this.consumers) {
      if (consumer.active && consumer.queues.includes(queue)) consumers++;
      for (const held of consumer.unacked.values()) if (held.queue === queue) unacked++;
    }
    let delayed = 0;
    for (const parked of this.timers.values()) if (parked.queue === queue) delayed++;
    const sentAt = this.queues.get(queue)?.oldestReadyAt();
    return {
      queue,
      ready: this.length(queue),
      unacked,
      delayed,
      deadLetters: this.length(`${queue}.dlq`),
      consumers,
      oldest: sentAt === undefined ? null : { sentAt },
    };
  }

  purge(queue: string): number {
    return this.queues.get(queue)?.clear() ?? 0;
  }

  addConsumer(queues: string[], handler: DeliveryHandler, prefetch: number): ConsumerState {
    const consumer: ConsumerState = {
      id: randomUUID(),
      queues,
      handler,
      prefetch: Math.max(1, prefetch),
      unacked: new Map(),
      held: new Set(),
      active: true,
    };
    this.consumers.push(consumer);
    this.keepAlive ??= setInterval(() => undefined, 2 ** 31 - 1);
    this.pump();
    return consumer;
  }

  cancelConsumer(consumer: ConsumerState): void {
    consumer.active = false;
    const index = this.consumers.indexOf(consumer);
    if (index !== -1) this.consumers.splice(index, 1);
    if (this.consumers.length === 0) this.stopKeepAlive();
  }

  /** Give back every unsettled delivery of a consumer (connection closed). */
  releaseConsumer(consumer: ConsumerState): void {
    this.cancelConsumer(consumer);
    for (const [tag, held] of consumer.unacked) {
      consumer.unacked.delete(tag);
      consumer.held.delete(tag);
      this.queue(held.queue).unshift({ ...held.entry, redelivered: true });
    }
    this.pump();
  }

  /** Messages parked for `queues` until due, earliest first (up to `limit`). */
  parked(queues: string[], limit: number): ParkedMessage[] {
    const wanted = new Set(queues);
    return [...this.timers.values()]
      .filter((p) => wanted.has(p.queue))
      .sort((a, b) => a.due - b.due)
      .slice(0, limit)
      .map(({ queue, entry, due }) => ({
        message: entry.message,
        queue,
        due: new Date(due),
        deliveryInfo: { exchange: '', routingKey: queue, priority: entry.priority },
      }));
  }

  /** Stop every timer: the store is going away. */
  dispose(): void {
    for (const timer of this.timers.keys()) clearTimeout(timer);
    this.timers.clear();
    this.stopKeepAlive();
  }

  private stopKeepAlive(): void {
    clearInterval(this.keepAlive);
    this.keepAlive = undefined;
  }

  private schedule(queue: string, entry: StoredMessage, notBefore?: Date): void {
    const delay = notBefore ? notBefore.getTime() - Date.now() : 0;
    if (delay <= 0) {
      this.queue(queue).push(entry);
      this.pump();
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.queue(queue).push(entry);
      this.pump();
    }, delay);
    timer.unref?.();
    this.timers.set(timer, { queue, entry, due: Date.now() + delay });
  }

  private queue(name: string): MemoryQueue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new MemoryQueue();
      this.queues.set(name, queue);
    }
    return queue;
  }

  /** Hand ready messages to consumers with free prefetch slots, round-robin. */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      let delivered = true;
      while (delivered) {
        delivered = false;
        const count = this.consumers.length;
        for (let i = 0; i < count; i++) {
          const consumer = this.consumers[(this.rotation + i) % count]!;
          const inFlight = consumer.unacked.size - consumer.held.size;
          if (!consumer.active || inFlight >= consumer.prefetch) continue;
          if (this.deliverOne(consumer)) {
            delivered = true;
            this.rotation = (this.rotation + i + 1) % Math.max(1, this.consumers.length);
            break;
          }
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  private deliverOne(consumer: ConsumerState): boolean {
    for (const queueName of consumer.queues) {
      const entry = this.queues.get(queueName)?.shift();
      if (!entry) continue;
      consumer.unacked.set(entry.tag, { entry, queue: queueName });
      const delivery = this.createDelivery(consumer, queueName, entry);
      queueMicrotask(() => consumer.handler(delivery));
      return true;
    }
    return false;
  }

  private createDelivery(consumer: ConsumerState, queue: string, entry: StoredMessage): Delivery {
    const settle = (): boolean => {
      const held = consumer.unacked.delete(entry.tag);
      consumer.held.delete(entry.tag);
      if (held) queueMicrotask(() => this.pump());
      return held;
    };
    return {
      message: entry.message,
      queue,
      deliveryTag: entry.tag,
      redelivered: entry.redelivered,
      deliveryInfo: {
        exchange: entry.route?.exchange ?? '',
        routingKey: entry.route?.routingKey ?? queue,
        priority: entry.priority,
      },
      ack: async () => {
        settle();
      },
      reject: async (requeue: boolean) => {
        if (settle() && requeue) this.queue(queue).unshift({ ...entry, redelivered: true });
      },
      defer: async (until: Date) => {
        if (settle()) this.schedule(queue, { ...entry, tag: randomUUID() }, until);
      },
      touch: async () => undefined,
      setHeld: (held: boolean) => {
        if (!consumer.unacked.has(entry.tag)) return;
        if (!held) consumer.held.delete(entry.tag);
        else if (!consumer.held.has(entry.tag)) {
          consumer.held.add(entry.tag);
          queueMicrotask(() => this.pump());
        }
      },
    };
  }
}
