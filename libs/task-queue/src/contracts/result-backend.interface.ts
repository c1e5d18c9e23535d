import type { TaskState } from '../results/task-states.js';

/** A Celery exception as stored in a result (`exc_type`, `exc_message`, `exc_module`). */
export interface SerializedError {
  exc_type: string;
  exc_message: unknown[];
  exc_module: string;
}

/**
 * Result metadata in Celery's format (`celery-task-meta-<id>`), the unit every backend stores.
 * `result` is the return value on SUCCESS, a {@link SerializedError} on FAILURE / RETRY /
 * REVOKED, and the custom `meta` for custom states such as PROGRESS.
 */
export interface TaskMeta {
  task_id: string;
  status: TaskState;
  result: unknown;
  traceback: string | null;
  children: unknown[];
  date_done: string | null;
  group_id?: string | null;
  parent_id?: string | null;
  /** Extended result fields (Celery's `result_extended`). */
  name?: string | null;
  args?: unknown[] | null;
  kwargs?: Record<string, unknown> | null;
  worker?: string | null;
  retries?: number | null;
  queue?: string | null;
}

export interface WaitOptions {
  /** Milliseconds; undefined waits forever. */
  timeout?: number;
  signal?: AbortSignal;
}

/** Where the result of one request goes, for backends that reply to the producer (rpc://). */
export interface StoreContext {
  /** The message's `reply_to` property. */
  replyTo: string;
  /** The message's `correlation_id` (the task id). */
  correlationId: string;
}

export interface ResultBackend {
  /** Backend name for logs (`memory`, `redis`, `typeorm`, `rpc`). */
  readonly kind: string;
  /**
   * Queue producers write into `properties.reply_to` (rpc:// backend: the producer's own reply
   * queue). Undefined for store-based backends.
   */
  readonly replyTo?: string;
  connect(): Promise<void>;
  /**
   * Store a state. A ready state (SUCCESS, FAILURE, REVOKED) is never overwritten by a
   * non-ready one, so a late STARTED cannot hide a finished task.
   */
  store(meta: TaskMeta, context?: StoreContext): Promise<void>;
  /** The stored meta, or null when nothing is known (PENDING). */
  get(taskId: string): Promise<TaskMeta | null>;
  /** Resolve once the task is in a ready state; reject with a timeout / abort error. */
  waitForReady(taskId: string, options?: WaitOptions): Promise<TaskMeta>;
  forget(taskId: string): Promise<void>;
  /**
   * Resolve when the backend answers on the connection it already has; reject at once when it
   * is disconnected. Never opens a new connection. Health checks call it.
   */
  ping(): Promise<void>;
  /**
   * Delete the results past their expiry now, resolving how many (Celery's `backend.cleanup()`,
   * run by the `celery.backend_cleanup` task). Absent on backends whose store expires them.
   */
  cleanup?(): Promise<number>;
  close(): Promise<void>;
}
