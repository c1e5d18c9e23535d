import type { CatchUpPolicy, ScheduleStore } from '../contracts/schedule-store.interface.js';
import { ConfigurationError } from '../errors/configuration.error.js';
import { assertValidCatchUp } from './schedule-validation.js';
import { rejectUnknownOptions } from '../config/known-options.js';
import { insideIsolate } from '../utils/isolate-role.js';

/**
 * Options of `TaskQueueBeatModule.forRoot()`.
 * @publicApi
 */
export interface BeatOptions {
  /**
   * Where schedules live: `redis://...`, `postgres://...[?schema=S]` (needs typeorm and pg),
   * `memory://[name]`, or a store instance (such as a `TypeOrmScheduleStore` on the app's
   * DataSource). Default: the broker's Redis when the broker is Redis, else memory.
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

/**
 * Defaults applied, and the lease timing checked: the leader renews every `renewMs` and steps
 * down when not renewed for `leaseMs - renewMs`, so `renewMs` must fit twice in `leaseMs`, or the
 * lease would run out between renewals and leadership would change hands on every round.
 */
export function resolveBeatOptions(options: BeatOptions): ResolvedBeatOptions {
  rejectUnknownOptions('TaskQueueBeatModule', '', options, [
    'store',
    'keyPrefix',
    'enabled',
    'leaseMs',
    'renewMs',
    'syncDecorators',
    'catchUp',
  ]);
  const leaseMs = options.leaseMs ?? 5000;
  const renewMs = options.renewMs ?? Math.min(1000, Math.floor(leaseMs / 3));
  if (!(Number.isInteger(leaseMs) && leaseMs >= 2)) {
    throw new ConfigurationError(`Beat leaseMs must be an integer number of ms, got ${leaseMs}.`);
  }
  if (!(Number.isInteger(renewMs) && renewMs >= 1 && renewMs * 2 <= leaseMs)) {
    throw new ConfigurationError(
      `Beat renewMs (${renewMs}) must be an integer from 1 to half of leaseMs (${leaseMs}): ` +
        'the leader renews its lease every renewMs, and a lease that runs out between two ' +
        'renewals changes hands on every round. Raise leaseMs or lower renewMs ' +
        '(defaults: leaseMs 5000, renewMs 1000).',
    );
  }
  if (options.catchUp) assertValidCatchUp(options.catchUp, 'TaskQueueBeatModule catchUp');
  return {
    store: options.store,
    keyPrefix: options.keyPrefix ?? 'celeriac:beat:',
    // Inside a pool isolate the parent worker's process runs the beat (if any): an isolate that
    // boots the worker's own module neither competes for the lease nor rewrites the schedules.
    enabled: (options.enabled ?? true) && !insideIsolate(),
    leaseMs,
    renewMs,
    syncDecorators: (options.syncDecorators ?? true) && !insideIsolate(),
    catchUp: options.catchUp,
  };
}
