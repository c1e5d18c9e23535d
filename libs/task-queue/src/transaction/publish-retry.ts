import { setTimeout as sleep } from 'node:timers/promises';

/** Bounded exponential backoff for publishing after commit. */
export interface PublishRetryOptions {
  /** Total attempts including the first (default 5). */
  attempts?: number;
  /** Delay before the second attempt, in ms (default 200); doubles each time. */
  initialDelayMs?: number;
  /** Upper bound of one delay, in ms (default 10 000). */
  maxDelayMs?: number;
}

/** Delay before attempt `attempt + 1` (attempt counts from 1), with ±20 % jitter. */
export function backoffDelay(attempt: number, options: PublishRetryOptions = {}): number {
  const base = Math.min(
    (options.initialDelayMs ?? 200) * 2 ** (attempt - 1),
    options.maxDelayMs ?? 10_000,
  );
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

/**
 * Call `publish` until it succeeds or the attempts are used up; `onRetry` hears each failure
 * that will be retried. Rejects with the last error.
 */
export async function publishWithRetry(
  publish: () => Promise<void>,
  options: PublishRetryOptions,
  onRetry: (attempt: number, error: unknown, delayMs: number) => void,
): Promise<void> {
  const attempts = Math.max(1, options.attempts ?? 5);
  for (let attempt = 1; ; attempt++) {
    try {
      return await publish();
    } catch (error) {
      if (attempt >= attempts) throw error;
      const delay = backoffDelay(attempt, options);
      onRetry(attempt, error, delay);
      await sleep(delay);
    }
  }
}
