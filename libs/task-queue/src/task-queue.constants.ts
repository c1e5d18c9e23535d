/** Metadata key `@Task()` writes on a method. */
export const TASK_METADATA = 'celeriac:task';

/** Celery's defaults, used where the options are silent. */
export const DEFAULTS = {
  broker: 'memory://',
  resultBackend: 'memory://',
  defaultQueue: 'celery',
  concurrency: 10,
  prefetch: 4,
  hostname: 'celeriac@%h',
  shutdownTimeout: 30_000,
  resultExpires: 86_400,
  maxRetries: 3,
  defaultRetryDelay: 180,
  retryBackoffMax: 600,
  /** ETA tasks due within this many ms are held by the worker; later ones are parked in the broker. */
  etaHoldMs: 2_000,
  /**
   * A message the worker could not settle (its dead-letter publish refused) goes back to its
   * queue after this many ms, to be tried again.
   */
  giveBackDelayMs: 5_000,
} as const;

/** Header that asks workers to skip a task id that already succeeded (set on outbox messages). */
export const DEDUPE_HEADER = 'x-celeriac-dedupe';

/** Metadata key `@OnTaskEvent()` writes on a method. */
export const TASK_EVENT_METADATA = 'celeriac:task-event';
