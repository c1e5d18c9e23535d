/**
 * Cluster-wide start slots for `globalRateLimit`: every worker reserves the next slot of a task
 * type from one shared store and waits until it comes.
 */
export interface RateLimitStore {
  /** Reserve the next start slot of `key`, slots `intervalMs` apart; resolves the wait in ms. */
  reserve(key: string, intervalMs: number): Promise<number>;
  close(): Promise<void>;
}
