import type { StandardSchemaV1 } from './standard-schema.interface.js';

/** An error class, for `autoretryFor` / `dontAutoretryFor`. */
export type ErrorClass = abstract new (...args: never[]) => Error;

/** Retry backoff: `true` = exponential from 1 s; a number = exponential from that many seconds. */
export type RetryBackoff = boolean | number;

/** `'100/s'`, `'10/m'`, `'1000/h'` or a plain number of tasks per second. */
export type RateLimit = `${number}/${'s' | 'm' | 'h'}` | number;

/**
 * Where a task's handler runs (Celery's `--pool`): `inline` on the worker's event loop (the
 * default), `threads` in worker_threads isolates, `processes` in child-process isolates. See
 * docs/pools.md.
 */
export type PoolKind = 'inline' | 'threads' | 'processes';

/**
 * Options of one task, given to `@Task(name, options)` and, as defaults for every task, to
 * `TaskQueueModule.forRoot({ taskDefaults })`. Names follow Celery's task attributes.
 * @publicApi
 */
export interface TaskOptions {
  /**
   * Parameter names of the handler, so keyword arguments (from Python callers or `send()`)
   * bind to positions as in Python. Keyword arguments not bound stay readable through
   * `TaskContext.kwargs`.
   */
  params?: string[];
  /**
   * Validate the arguments before the handler runs: any Standard Schema v1 validator (zod,
   * valibot, arktype...) of the positional arguments as a tuple, after keyword arguments are
   * bound by `params`. Its output is what the handler receives (coercions and defaults apply).
   * A rejection fails the task with a ValidationError listing the issues, without retries.
   *
   * @example
   * ＠Task('math.add', { schema: z.tuple([z.number(), z.number()]) })
   */
  schema?: StandardSchemaV1;
  /** Queue the task is sent to unless a route or the call says otherwise. */
  queue?: string;
  /** 0–9 (see the broker for its direction). */
  priority?: number;
  /** Attempts after the first; Celery's default is 3; `null` retries forever. */
  maxRetries?: number | null;
  /** Seconds before a retry when none is given; Celery: 180. */
  defaultRetryDelay?: number;
  /** Errors that trigger an automatic retry. */
  autoretryFor?: ErrorClass[];
  /** Errors that never trigger an automatic retry, even when they match `autoretryFor`. */
  dontAutoretryFor?: ErrorClass[];
  /** Exponential backoff for automatic retries. */
  retryBackoff?: RetryBackoff;
  /** Upper bound of the backoff, in seconds (Celery: 600). */
  retryBackoffMax?: number;
  /** Randomise the backoff delay between 0 and the computed value (Celery: true). */
  retryJitter?: boolean;
  /** Ack after the handler finished (at-least-once, default) or before it starts (at-most-once). */
  acksLate?: boolean;
  /** Requeue the message when the worker dies mid-task (with acksLate). */
  rejectOnWorkerLost?: boolean;
  /** Do not store the return value. */
  ignoreResult?: boolean;
  /**
   * Store STARTED (`{ pid, hostname }`) when a run starts, as Celery's `track_started` /
   * `task_track_started` (set it in `taskDefaults` for every task). Not with `ignoreResult`,
   * nor for a message sent with `ignore_result`. Default false.
   */
  trackStarted?: boolean;
  /**
   * Run the handler in a pool of isolates (`threads`, `processes`) configured by the worker's
   * `isolates` option, or `inline` on the event loop; default: the worker's `pool`.
   */
  pool?: PoolKind;
  /**
   * Hard time limit in seconds: the task fails with TimeLimitExceeded and its slot is freed.
   * In an isolate pool the isolate is terminated (the code stops) and replaced.
   */
  timeLimit?: number;
  /** Soft time limit in seconds: the handler's AbortSignal fires with SoftTimeLimitExceededError. */
  softTimeLimit?: number;
  /** Per-worker rate limit for this task type. */
  rateLimit?: RateLimit;
  /** Seconds (relative) after which an unstarted task is revoked as expired. */
  expires?: number;
  /**
   * Cluster-wide rate limit for this task type, enforced through the broker's Redis (or the
   * Redis result backend): all workers together start at most this many per unit of time.
   */
  globalRateLimit?: RateLimit;
  /**
   * Skip a delivery whose task id already has a SUCCESS result (at-least-once delivery made
   * effectively-once for completed tasks). Needs a result backend; default false, always on
   * for messages sent through the outbox.
   */
  dedupe?: boolean;
}

/** What `@Task()` stores on a method. */
export interface TaskMetadata {
  /** Explicit task name; undefined means `<ClassName>.<methodName>`. */
  name?: string;
  options: TaskOptions;
}
