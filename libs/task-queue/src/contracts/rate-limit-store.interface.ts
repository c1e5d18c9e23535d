/**
 * Cluster-wide start slots for `globalRateLimit`: every worker reserves the next slot of a task
 * type from one shared store and waits until it comes.
 */
export interface RateLimitStore {
  /** Reserve the next start slot of `key`, slots `intervalMs` apart; resolves the wait in ms. */
  reserve(key: string, intervalMs: number): Promise<number>;
  close(): Promise<void>;
}

/**
 * Opens the rate-limit store for the tasks that declare `globalRateLimit` (null when none does).
 * The module provides it under `getRateLimitStoreFactoryToken()`; the worker calls it once, at
 * start, after every task is registered.
 */
export type RateLimitStoreFactory = (globalLimitTasks: string[]) => Promise<RateLimitStore | null>;
