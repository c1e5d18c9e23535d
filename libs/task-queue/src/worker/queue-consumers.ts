import type { Consumer } from '../contracts/broker.interface.js';

/** What a cancel asked by remote control did. */
export type QueueCancelOutcome = 'cancelled' | 'configured' | 'not-consumed';

/**
 * The worker's broker consumers: one for the queues it started with, and one per queue added at
 * run time by Celery's `add_consumer` remote-control command (which `cancel_consumer` can
 * cancel again). Stopping the worker cancels them all.
 */
export class QueueConsumers {
  private main?: Consumer;
  private started: string[] = [];
  private readonly added = new Map<string, Promise<Consumer>>();
  /** The added consumers that have started, by queue. */
  private readonly addedLive = new Map<string, Consumer>();

  constructor(private readonly consume: (queues: string[]) => Promise<Consumer>) {}

  /** The queues consumed now: the configured ones, then the added ones. */
  get queues(): string[] {
    return [...this.started, ...this.added.keys()];
  }

  async start(queues: string[]): Promise<void> {
    this.started = [...queues];
    this.main = await this.consume(this.started);
  }

  /** Consume `queue` too; false when it is consumed already. */
  async add(queue: string): Promise<boolean> {
    if (this.queues.includes(queue)) return false;
    const consumer = this.consume([queue]);
    this.added.set(queue, consumer);
    try {
      const live = await consumer;
      if (this.added.get(queue) === consumer) this.addedLive.set(queue, live);
    } catch (error) {
      this.added.delete(queue);
      throw error;
    }
    return true;
  }

  /** Why a consumer receives nothing although it should (the first such reason), or undefined. */
  stalled(): string | undefined {
    for (const consumer of [this.main, ...this.addedLive.values()]) {
      const reason = consumer?.stalled?.();
      if (reason) return reason;
    }
    return undefined;
  }

  /** Stop consuming an added queue (the configured ones stay: they need a restart). */
  async cancel(queue: string): Promise<QueueCancelOutcome> {
    const consumer = this.added.get(queue);
    if (!consumer) return this.started.includes(queue) ? 'configured' : 'not-consumed';
    this.added.delete(queue);
    this.addedLive.delete(queue);
    await (await consumer).cancel();
    return 'cancelled';
  }

  /** Cancel every consumer (worker stop); rejects with the first failure after trying all. */
  async cancelAll(): Promise<void> {
    const all = [this.main, ...this.added.values()];
    this.main = undefined;
    this.added.clear();
    this.addedLive.clear();
    const results = await Promise.allSettled(
      all.map(async (c) => (c ? (await c).cancel() : undefined)),
    );
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }
}
