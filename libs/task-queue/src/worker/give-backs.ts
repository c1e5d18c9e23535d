import type { GuardedDelivery } from './settle-once.js';

/**
 * Messages whose handling ended without settling them (the broker refused their dead-letter
 * publish, the result backend failed the dedupe check): each goes back to its queue after a
 * pause, so it is tried again rather than held unsettled for ever, its lease renewed and its
 * prefetch slot taken. The pause keeps a refusal that lasts from becoming a busy loop.
 */
export class GiveBacks {
  private readonly waiting = new Map<GuardedDelivery, NodeJS.Timeout>();

  constructor(
    private readonly delayMs: number,
    private readonly onError: (delivery: GuardedDelivery, error: Error) => void,
  ) {}

  /** Requeue `delivery` after the pause (nothing when it was settled or taken back meanwhile). */
  add(delivery: GuardedDelivery): void {
    if (this.waiting.has(delivery)) return;
    const timer = setTimeout(() => this.giveBack(delivery), this.delayMs);
    timer.unref();
    this.waiting.set(delivery, timer);
  }

  /** Requeue every waiting delivery now (the worker stops). */
  flush(): void {
    for (const delivery of [...this.waiting.keys()]) this.giveBack(delivery);
  }

  private giveBack(delivery: GuardedDelivery): void {
    clearTimeout(this.waiting.get(delivery));
    this.waiting.delete(delivery);
    if (delivery.settled || delivery.reclaimed) return;
    delivery.reject(true).catch((error: Error) => this.onError(delivery, error));
  }
}
