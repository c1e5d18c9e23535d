import type { TaskRegistry } from '../tasks/task.registry.js';
import type { RateLimitStore } from '../contracts/rate-limit-store.interface.js';
import { isRateLimited, RateLimiter, ratePerSecond } from './rate-limiter.js';

/**
 * Decides when a reserved task may start under its rate limits: `rateLimit` per worker (local
 * token bucket) and `globalRateLimit` across the cluster (slots reserved in a shared store).
 */
export class TaskAdmission {
  private readonly local = new RateLimiter();

  constructor(
    private readonly registry: TaskRegistry,
    private readonly store: RateLimitStore | null,
  ) {}

  /** True when the task type has any rate limit. */
  limited(name: string): boolean {
    const options = this.registry.get(name)?.options;
    return isRateLimited(options?.rateLimit) || isRateLimited(options?.globalRateLimit);
  }

  /** Reserve start slots for one task of type `name`; resolves the ms to wait before starting. */
  async reserve(name: string): Promise<number> {
    const options = this.registry.get(name)?.options ?? {};
    const local = this.local.take(name, options.rateLimit);
    if (!isRateLimited(options.globalRateLimit) || !this.store) return local;
    const global = await this.store.reserve(name, 1000 / ratePerSecond(options.globalRateLimit));
    return Math.max(local, global);
  }

  async close(): Promise<void> {
    await this.store?.close();
  }
}
