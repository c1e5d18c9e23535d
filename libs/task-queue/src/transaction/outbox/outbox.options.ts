import type { TaskInstrumentation } from '../../tasks/task-instrumentation.js';
import { errorText } from '../../utils/error-text.js';
import { storableText } from '../../transports/typeorm/ascii-text.js';
import type { SqlDialect } from '../../transports/typeorm/sql-dialect.type.js';

/** Defaults shared by the outbox writer, fast path and relay. */
export const OUTBOX_DEFAULTS = {
  /** Fresh rows are left to the fast path for this long before the relay may take them. */
  graceMs: 5_000,
  /** A claim (lease) lasts this long; an unfinished claim is retaken after it expires. */
  leaseMs: 30_000,
  /** PostgreSQL NOTIFY channel that wakes relays. */
  channel: 'celeriac_task_outbox',
  batchSize: 100,
  pollIntervalMs: 2_000,
  /** Relay backoff after a failed publish: initial delay, doubling, capped. */
  retryInitialMs: 1_000,
  retryMaxMs: 60_000,
  /** A row still refused at this attempt (broker reachable) is dead-lettered. */
  maxAttempts: 10,
} as const;

/** `locked_by` of a dead-lettered row: the relay no longer publishes it. */
export const OUTBOX_DEAD_LETTER = 'dead-letter';

/** Options common to the writer and the relay. @publicApi */
export interface OutboxCommonOptions {
  /** See OUTBOX_DEFAULTS.leaseMs. */
  leaseMs?: number;
  /** PostgreSQL NOTIFY channel (default `celeriac_task_outbox`). */
  channel?: string;
}

/** Delay before the relay retries a row that failed `attempts` times. */
export function relayBackoffMs(attempts: number): number {
  return Math.min(
    OUTBOX_DEFAULTS.retryInitialMs * 2 ** Math.max(0, attempts - 1),
    OUTBOX_DEFAULTS.retryMaxMs,
  );
}

/** Error text stored in `last_error`, bounded, and storable on `dialect` (see `storableText`). */
export function lastErrorText(error: unknown, dialect: SqlDialect): string {
  return storableText(errorText(error).slice(0, 2_000), dialect);
}

/** Options of `OutboxRelay`. @publicApi */
export interface OutboxRelayOptions extends OutboxCommonOptions {
  /** Rows claimed per round (default 100). */
  batchSize?: number;
  /** Longest sleep between rounds when idle, in ms (default 2 000). */
  pollIntervalMs?: number;
  /** PostgreSQL: wake up on NOTIFY (default true). */
  listen?: boolean;
  /**
   * Lease owner name, for diagnostics (default host:pid); a random suffix keeps each relay's
   * unique.
   */
  owner?: string;
  /**
   * Attempts after which a row the broker refuses while it answers (queue refused, message
   * too large) is dead-lettered: kept in `task_outbox` with `locked_by = 'dead-letter'`, never
   * published again, logged as an ERROR (default 10, about 4 minutes of backoff).
   */
  maxAttempts?: number;
  /** Wraps each publish (the module passes its TaskInstrumentation: tracing). */
  instrumentation?: TaskInstrumentation;
}
