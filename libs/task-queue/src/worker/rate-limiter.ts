import type { RateLimit } from '../contracts/task-options.interface.js';

const PER_SECOND = { s: 1, m: 1 / 60, h: 1 / 3600 } as const;

/** Tasks per second of a Celery rate limit (`'100/s'`, `'10/m'`, `'1000/h'` or a number). */
export function ratePerSecond(limit: RateLimit): number {
  if (typeof limit === 'number') return limit;
  const [count, unit] = limit.split('/') as [string, keyof typeof PER_SECOND];
  return Number(count) * PER_SECOND[unit];
}

/** Is `limit` a limit at all? A zero rate (`'0/s'`) is none, as Celery's `rate()` reads it. */
export function isRateLimited(limit: RateLimit | undefined): limit is RateLimit {
  return limit !== undefined && ratePerSecond(limit) > 0;
}

/**
 * Per-worker token buckets, one per task name (Celery's `rate_limit`: a burst of one, then one
 * task every 1/rate seconds). `take()` answers how many ms to wait before the task may start.
 */
export class RateLimiter {
  private readonly nextAt = new Map<string, number>();

  /** Reserve a start slot for `name`; returns 0 when it may start now, else the wait in ms. */
  take(name: string, limit: RateLimit | undefined, now = Date.now()): number {
    if (!isRateLimited(limit)) return 0;
    const interval = 1000 / ratePerSecond(limit);
    const next = Math.max(now, this.nextAt.get(name) ?? now);
    this.nextAt.set(name, next + interval);
    return next - now;
  }
}
