import type { CatchUpPolicy, ScheduleStore } from '../contracts/schedule-store.interface.js';

/**
 * Options of `TaskQueueBeatModule.forRoot()`.
 * @publicApi
 */
export interface BeatOptions {
  /**
   * Where schedules live: `redis://...`, `memory://[name]`, or a store instance (such as a
   * `TypeOrmScheduleStore`). Default: the broker's Redis when the broker is Redis, else memory.
   */
  store?: string | ScheduleStore;
  /** Key prefix of the Redis store (default `celeriac:beat:`). */
  keyPrefix?: string;
  /**
   * Compete for leadership and publish due fires in this process (default true). With false the
   * `Schedules` service still edits schedules and `@Periodic` definitions are still written.
   */
  enabled?: boolean;
  /** Lease time in ms (default 5 000): how long a dead leader keeps others waiting. */
  leaseMs?: number;
  /** How often the leader renews and standbys try to take the lease, in ms (default 1 000). */
  renewMs?: number;
  /** Write the app's `@Periodic` schedules to the store at boot (default true). */
  syncDecorators?: boolean;
  /** Defaults of every schedule's catch-up policy. */
  catchUp?: CatchUpPolicy;
}

/** {@link BeatOptions} with defaults applied. */
export interface ResolvedBeatOptions {
  store: string | ScheduleStore | undefined;
  keyPrefix: string;
  enabled: boolean;
  leaseMs: number;
  renewMs: number;
  syncDecorators: boolean;
  catchUp: CatchUpPolicy | undefined;
}

export function resolveBeatOptions(options: BeatOptions): ResolvedBeatOptions {
  const leaseMs = options.leaseMs ?? 5000;
  return {
    store: options.store,
    keyPrefix: options.keyPrefix ?? 'celeriac:beat:',
    enabled: options.enabled ?? true,
    leaseMs,
    renewMs: options.renewMs ?? Math.min(1000, Math.floor(leaseMs / 3)),
    syncDecorators: options.syncDecorators ?? true,
    catchUp: options.catchUp,
  };
}
