import type { RateLimitStore } from '../interfaces/rate-limit-store.interface.js';

const shared = new Map<string, Map<string, number>>();

/** Start slots shared by every app of this process on the same `memory://name` broker. */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly slots: Map<string, number>;

  constructor(name?: string) {
    let slots = name ? shared.get(name) : undefined;
    if (!slots) {
      slots = new Map();
      if (name) shared.set(name, slots);
    }
    this.slots = slots;
  }

  async reserve(key: string, intervalMs: number): Promise<number> {
    const now = Date.now();
    const next = Math.max(now, this.slots.get(key) ?? now);
    this.slots.set(key, next + intervalMs);
    return next - now;
  }

  async close(): Promise<void> {}
}
