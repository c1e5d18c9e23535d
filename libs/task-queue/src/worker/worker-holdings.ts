import type { TaskRequest } from '../protocol/task-request.js';
import { SlotList, type Slotted } from '../utils/slot-list.js';
import type { GuardedDelivery } from './settle-once.js';
import { WorkerShutdownSignal } from './worker-shutdown.signal.js';
import type { TaskAbort } from './lazy-abort.js';

/** A request this worker holds, with where it came from and (when running) since when. */
export interface HeldRequest extends TaskRequest {
  /** ms since the epoch, for running tasks. */
  startedAt?: number;
  deliveryInfo: { exchange: string; routingKey: string; priority: number; redelivered: boolean };
}

/** A reserved (delivered, unacked) message waiting to run. */
export interface Reserved {
  delivery: GuardedDelivery;
  request: TaskRequest;
  /** A rate-limit start slot was already reserved for it. */
  admitted?: boolean;
}

/** A running task. */
export interface Active extends Reserved, Slotted {
  controller: TaskAbort;
  startedAt: number;
  done: Promise<void>;
}

type OnSettleError = (delivery: GuardedDelivery, error: Error) => void;

/**
 * Everything a worker holds in memory: reserved messages ready to run, messages kept aside
 * until a time (ETA due soon, rate limits), running tasks, and tasks waiting for a rate-limit
 * slot. Knows when it is idle and how to give everything back to the broker.
 */
export class WorkerHoldings {
  readonly ready: Reserved[] = [];
  readonly scheduled = new Map<string, Reserved & { timer: NodeJS.Timeout }>();
  readonly active = new SlotList<Active>();
  readonly totals = new Map<string, number>();
  admitting = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly onSettleError: OnSettleError) {}

  get idle(): boolean {
    return !this.active.size && !this.ready.length && !this.scheduled.size && !this.admitting;
  }

  /** Resolves when nothing is reserved, scheduled or running. */
  onIdle(): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Wake `onIdle()` waiters if idle now. */
  notifyIfIdle(): void {
    if (!this.idle) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    waiters.forEach((resolve) => resolve());
  }

  /**
   * Keep `item` aside for `ms`, then hand it to `release`: never before, as a timer may fire
   * up to a millisecond early against `Date.now()` (it is re-armed for what is left).
   */
  hold(item: Reserved, ms: number, release: (item: Reserved) => void): void {
    const due = Date.now() + ms;
    const arm = (delay: number): void => {
      const timer = setTimeout(() => {
        const left = due - Date.now();
        if (left > 0) return arm(left);
        this.scheduled.delete(item.delivery.deliveryTag);
        release(item);
      }, delay);
      this.scheduled.set(item.delivery.deliveryTag, { ...item, timer });
    };
    arm(ms);
  }

  /** Count one finished task of type `name` (for `stats.total`). */
  finished(name: string): void {
    this.totals.set(name, (this.totals.get(name) ?? 0) + 1);
  }

  /** For `inspect active / reserved / scheduled / stats`. */
  snapshot(): {
    active: HeldRequest[];
    reserved: HeldRequest[];
    scheduled: HeldRequest[];
    totals: Record<string, number>;
  } {
    const held = (item: Reserved, startedAt?: number): HeldRequest => ({
      ...item.request,
      startedAt,
      deliveryInfo: { ...item.delivery.deliveryInfo, redelivered: item.delivery.redelivered },
    });
    return {
      active: this.active.values().map((a) => held(a, a.startedAt)),
      reserved: this.ready.map((r) => held(r)),
      scheduled: [...this.scheduled.values()].map((s) => held(s)),
      totals: Object.fromEntries(this.totals),
    };
  }

  /**
   * Give every message that is not running back to the broker (those it already took back,
   * from a channel that closed, need nothing).
   */
  async requeueWaiting(): Promise<void> {
    const waiting = [...this.ready.splice(0), ...this.scheduled.values()];
    for (const item of this.scheduled.values()) clearTimeout(item.timer);
    this.scheduled.clear();
    await Promise.all(
      waiting.filter((item) => !item.delivery.reclaimed).map((item) => this.requeue(item)),
    );
  }

  /** Resolve true once every running task finished, false after `timeoutMs`. */
  async waitActive(timeoutMs: number): Promise<boolean> {
    if (!this.active.size) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>(
      (resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)),
    );
    const all = Promise.all(this.active.values().map((a) => a.done)).then(() => true as const);
    const result = await Promise.race([all, timeout]);
    clearTimeout(timer);
    return result;
  }

  /** Abort running tasks with a shutdown signal and requeue their messages; returns their ids. */
  async requeueActive(reason: string): Promise<string[]> {
    const running = this.active.values();
    for (const item of running) item.controller.abort(new WorkerShutdownSignal(reason));
    await Promise.all(running.map((item) => this.requeue(item)));
    return running.map((item) => item.request.id);
  }

  private requeue(item: Reserved): Promise<void> {
    return item.delivery.reject(true).catch((e: Error) => this.onSettleError(item.delivery, e));
  }
}
