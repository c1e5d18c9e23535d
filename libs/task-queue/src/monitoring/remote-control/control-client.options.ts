/** Options of one {@link ControlClient} call. @publicApi */
export interface ControlCallOptions {
  /** Only these nodenames (`["celery@host"]`); default every worker. */
  destination?: string[];
  /** Milliseconds to collect replies; default 1000 (Celery's default). */
  timeout?: number;
  /** Stop after this many replies; default the destination length, else unlimited. */
  limit?: number;
  /** With `matcher`, only nodes whose name matches (used when no destination is given). */
  pattern?: string;
  matcher?: 'glob' | 'pcre';
}

/** Options of {@link ControlClient.revoke}. @publicApi */
export interface ControlRevokeOptions extends ControlCallOptions {
  /** Also stop the task if it is running (Celery `terminate=True`). */
  terminate?: boolean;
  /** Signal name for Python workers; default `SIGTERM`. */
  signal?: string;
  /** Wait for replies (default true); false sends the command and returns `{}` at once. */
  reply?: boolean;
}

/** A function an `AsyncResult` can call to revoke its task. @publicApi */
export type TaskRevoker = (taskId: string, options?: ControlRevokeOptions) => Promise<unknown>;
