import type { RateLimitStore } from '../../contracts/rate-limit-store.interface.js';
import { acquireShared, type SharedLease } from '../../utils/shared-by-name.js';

/** Start slots shared by every app of this process on the same `memory://name` broker. */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly lease: SharedLease<Map<string, number>>;
  private readonly slots: Map<string, number>;

  constructor(name?: string) {
    this.lease = acquireShared('memory-rate-limits', name, () => new Map<string, number>());
    this.slots = this.lease.value;
  }

  async reserve(key: string, intervalMs: number): Promise<number> {
    const now = Date.now();
    const next = Math.max(now, this.slots.get(key) ?? now);
    this.slots.set(key, next + intervalMs);
    return next - now;
  }

  async close(): Promise<void> {
    this.lease.release();
  }
}
