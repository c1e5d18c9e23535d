import type { Delivery } from '../contracts/broker.interface.js';
import type { TaskMessage } from '../contracts/task-message.interface.js';

/** A delivery that can be settled once; later ack / reject / defer calls are ignored. */
export interface GuardedDelivery extends Delivery {
  readonly settled: boolean;
}

/**
 * Wrap a delivery so only its first settlement counts. The worker relies on this when it
 * requeues a task at shutdown while the handler is still running: the handler's late ack
 * must not also remove the requeued message.
 */
export function settleOnce(delivery: Delivery): GuardedDelivery {
  return new SettleOnceDelivery(delivery);
}

/** A class rather than an object of closures: one small allocation per delivery. */
class SettleOnceDelivery implements GuardedDelivery {
  private done = false;

  constructor(private readonly inner: Delivery) {}

  get message(): TaskMessage {
    return this.inner.message;
  }
  get queue(): string {
    return this.inner.queue;
  }
  get deliveryTag(): string {
    return this.inner.deliveryTag;
  }
  get redelivered(): boolean {
    return this.inner.redelivered;
  }
  get deliveryInfo(): Delivery['deliveryInfo'] {
    return this.inner.deliveryInfo;
  }
  get settled(): boolean {
    return this.done;
  }
  get reclaimed(): boolean {
    return !this.done && this.inner.reclaimed === true;
  }

  ack(): Promise<void> {
    if (!this.claim()) return Promise.resolve();
    return settle(() => this.inner.ack());
  }

  reject(requeue: boolean): Promise<void> {
    if (!this.claim()) return Promise.resolve();
    return settle(() => this.inner.reject(requeue));
  }

  defer(until: Date): Promise<void> {
    if (!this.claim()) return Promise.resolve();
    return settle(() => this.inner.defer(until));
  }

  touch(): Promise<void> {
    return this.done ? Promise.resolve() : this.inner.touch();
  }

  setHeld(held: boolean): void {
    if (!this.done) this.inner.setHeld?.(held);
  }

  /** Take the right to settle: true the first time only. */
  private claim(): boolean {
    if (this.done) return false;
    this.done = true;
    return true;
  }
}

/** `operation()`, with a synchronous throw turned into a rejection (as an async call would). */
function settle(operation: () => Promise<void>): Promise<void> {
  try {
    return operation();
  } catch (error) {
    return Promise.reject(error);
  }
}
