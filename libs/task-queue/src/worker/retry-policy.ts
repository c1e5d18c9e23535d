import { DEFAULTS } from '../task-queue.constants.js';
import type { TaskOptions } from '../contracts/task-options.interface.js';
import { IsolatedTaskError } from '../errors/isolated-task.error.js';

/**
 * Seconds before retry number `retries + 1`. With `retryBackoff` the delay is exponential
 * (`base * 2^retries`, capped at `retryBackoffMax`), and with `retryJitter` (default true, as
 * in Celery) a uniform random value in `[0, delay]`; otherwise `defaultRetryDelay`.
 */
export function retryDelaySeconds(
  options: TaskOptions,
  retries: number,
  random: () => number = Math.random,
): number {
  const backoff = options.retryBackoff;
  if (!backoff) return options.defaultRetryDelay ?? DEFAULTS.defaultRetryDelay;
  const base = backoff === true ? 1 : backoff;
  const max = options.retryBackoffMax ?? DEFAULTS.retryBackoffMax;
  const delay = Math.min(max, base * 2 ** retries);
  return options.retryJitter === false ? delay : Math.floor(random() * (delay + 1));
}

/** Whether `error` should trigger an automatic retry under `autoretryFor` / `dontAutoretryFor`. */
export function shouldAutoretry(options: TaskOptions, error: unknown): boolean {
  // Decided in the isolate that ran the handler, where its error classes are.
  if (error instanceof IsolatedTaskError) return error.autoretry;
  const matches = (list: TaskOptions['autoretryFor']): boolean =>
    (list ?? []).some((cls) => error instanceof (cls as abstract new (...args: never[]) => Error));
  return matches(options.autoretryFor) && !matches(options.dontAutoretryFor);
}

/** Effective max retries: per-call override, then task option, then Celery's 3; null = forever. */
export function maxRetriesOf(options: TaskOptions, override?: number | null): number | null {
  if (override !== undefined) return override;
  return options.maxRetries === undefined ? DEFAULTS.maxRetries : options.maxRetries;
}
