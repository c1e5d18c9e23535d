import type { Observable } from 'rxjs';

/**
 * When a schedule fires: a cron expression in an IANA time zone (Celery `crontab` semantics:
 * 5 fields, or 6 with seconds first), a fixed interval in seconds, or one instant (clocked).
 * @publicApi
 */
export type ScheduleSpec =
  { cron: string; tz?: string } | { every: number } | { at: string | number | Date };

/** What happens to fires missed while no beat was leader (or while it was late). @publicApi */
export interface CatchUpPolicy {
  /** Seconds back a missed fire is still published (default 60); older ones are skipped. */
  window?: number;
  /** `all` (default): every missed fire inside the window; `once`: only the latest; `skip`: none. */
  policy?: 'all' | 'once' | 'skip';
  /** With `all`: at most this many missed fires per schedule at once (default 100). */
  max?: number;
}

/** The stored definition of one schedule (what users edit). @publicApi */
export interface ScheduleDefinition {
  /** Unique schedule name (the `periodic_task_name` header). */
  name: string;
  /** The task name sent (a Node `@Task` or a Python task). */
  task: string;
  schedule: StoredScheduleSpec;
  args: unknown[];
  kwargs: Record<string, unknown>;
  /** Publish options. */
  queue?: string;
  /**
   * Publish to this exchange with `routingKey` instead of to the queue (both or neither), as
   * Celery's `apply_async(exchange=..., routing_key=...)` does.
   */
  exchange?: string;
  routingKey?: string;
  priority?: number;
  /** Seconds after the scheduled instant after which the message expires unstarted. */
  expires?: number;
  headers?: Record<string, unknown>;
  enabled: boolean;
  catchUp?: CatchUpPolicy;
  /** `skip`: no fire while the previous run is not finished (needs a result backend). Default `allow`. */
  overlap?: 'allow' | 'skip';
  /**
   * With overlap `skip`: seconds after its publish when a previous run still not seen finished
   * counts as finished (default: the task's `timeLimit` when known locally, else 3600).
   */
  overlapTimeout?: number;
  /** Up to this many ms added to each fire (deterministic per fire, the same on every beat). */
  jitter?: number;
  /** No fire before / after these instants (epoch ms). */
  startAt?: number;
  endAt?: number;
  /** Stop after this many runs. */
  maxRuns?: number;
  /**
   * `decorator` (from `@Periodic`, written by the app at boot), `api` (Schedules / CLI) or
   * `django` (django-celery-beat's tables, through `TaskQueueDjangoBeatModule`).
   */
  source: 'decorator' | 'api' | 'django';
}

/** JSON-safe form of {@link ScheduleSpec} (clocked instants as epoch ms). @publicApi */
export type StoredScheduleSpec = { cron: string; tz?: string } | { every: number } | { at: number };

/** A fire published but not yet confirmed (a new leader publishes it again, same task id). */
export interface PendingFire {
  name: string;
  taskId: string;
  /** The scheduled instant (epoch ms). */
  scheduledAt: number;
}

/** Run-time state of one schedule, written by the leader. @publicApi */
export interface ScheduleState {
  /** The next scheduled instant not yet fired (epoch ms); null: finished or paused. */
  nextFireAt: number | null;
  lastRunAt: number | null;
  lastTaskId: string | null;
  totalRuns: number;
  /** Incremented by every write; a claim must name the revision it planned from. */
  rev: number;
}

/** A schedule as stored. @publicApi */
export interface StoredSchedule {
  definition: ScheduleDefinition;
  state: ScheduleState;
}

/** One planned state change of the leader: advance `name` from revision `rev`. */
export interface ScheduleClaim {
  name: string;
  rev: number;
  /** The new state (its `rev` is `rev + 1`). */
  state: ScheduleState;
  /** The fires this claim publishes (written as pending in the same step). */
  fires: PendingFire[];
}

/** Conditions of {@link ScheduleStore.save}; nothing is written when one fails. @publicApi */
export interface ScheduleSaveOptions {
  /**
   * Compare-and-set: write only if the stored revision is this one (`0`: only if no schedule
   * of that name exists). An edit reads the schedule, then writes with the revision it read:
   * a claim or another edit made in between makes the write fail, and the edit is retried on
   * the fresh row, so neither side's change is lost.
   */
  ifRev?: number;
  /**
   * Leave a schedule whose stored definition is deeply equal alone (several app instances
   * writing `@Periodic`s at boot).
   */
  keepIfSame?: boolean;
}

/** A leader's lease: its owner id and fencing token. */
export interface BeatLease {
  owner: string;
  token: number;
}

/**
 * Where schedules, their state and the beat leader lease live. Every state change is one
 * atomic step; {@link ScheduleStore.claim} checks the lease (owner and fencing token) and the
 * revisions in that same step, so a leader that lost its lease cannot advance anything.
 * @publicApi
 */
export interface ScheduleStore {
  connect(): Promise<void>;
  close(): Promise<void>;
  /** Every schedule. */
  list(): Promise<StoredSchedule[]>;
  get(name: string): Promise<StoredSchedule | null>;
  /**
   * Write a definition and state (revision bumped), in one atomic step that checks
   * `options.ifRev` and `options.keepIfSame` against the stored row. Resolves whether anything
   * was written; announces the change when it was.
   */
  save(
    definition: ScheduleDefinition,
    state: ScheduleState,
    options?: ScheduleSaveOptions,
  ): Promise<boolean>;
  /** Delete; resolves whether it existed. Announces the change. */
  remove(name: string): Promise<boolean>;
  /**
   * Take the lease for `ttlMs` if it is free or expired, or extend it if `owner` holds it.
   * Resolves the fencing token (a new, larger one on each take), or null when another holds it.
   */
  acquireLease(owner: string, ttlMs: number): Promise<number | null>;
  /** Give the lease up if `lease` still holds it. */
  releaseLease(lease: BeatLease): Promise<void>;
  /**
   * Atomically, if `lease` is still the current lease: apply each claim whose revision matches
   * (state written, fires added to pending). Resolves, per claim, whether it was applied; null
   * when the lease is lost (nothing applied).
   */
  claim(lease: BeatLease, claims: ScheduleClaim[]): Promise<boolean[] | null>;
  /** The fires published: remove them from pending. */
  confirm(fires: PendingFire[]): Promise<void>;
  /** Fires claimed but not confirmed (a leader that died between claim and publish). */
  pending(): Promise<PendingFire[]>;
  /**
   * Names of schedules changed by anyone, pushed as they change; an empty string when changes
   * may have been missed (a reconnect): listeners then reload everything.
   */
  readonly changes: Observable<string>;
}
