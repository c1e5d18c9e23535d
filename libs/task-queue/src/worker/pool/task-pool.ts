import type { PoolKind } from '../../contracts/task-options.interface.js';
import type { TaskRequest } from '../../protocol/task-request.js';
import type { RunningTask } from '../../tasks/task-context.storage.js';
import type { TaskAbort } from '../lazy-abort.js';

/** One task handed to a pool. */
export interface PoolTask {
  request: TaskRequest;
  hostname: string;
  deliveryInfo: RunningTask['deliveryInfo'];
  controller: TaskAbort;
  limits: { hard?: number; soft?: number };
  /**
   * The worker's running task: the results the handler sent from its isolate are added to its
   * `children` when it succeeds, as for a handler run inline.
   */
  running: Pick<RunningTask, 'children'>;
}

/** What `inspect stats` shows of a pool. */
export interface PoolStats {
  implementation: string;
  'max-concurrency': number;
  processes: number[];
  'max-tasks-per-child': number | 'N/A';
  spares: number;
  replaced: number;
}

/**
 * Where a handler runs. The worker keeps consuming, admission, acks, results and retries on
 * its event loop; a pool only runs the handler and gives back its value (or throws what it
 * threw, TimeLimitExceededError at the hard limit, WorkerLostError when its isolate died).
 * `inline` is no pool at all: the executor calls the handler itself.
 */
export interface TaskPool {
  readonly kind: Exclude<PoolKind, 'inline'>;
  start(): Promise<void>;
  run(task: PoolTask): Promise<unknown>;
  /** The isolate id (thread id or pid) running the task, if it is running here. */
  isolateOf(taskId: string): number | undefined;
  /** True while the task waits for a free isolate (admitted, not started: `inspect reserved`). */
  isWaiting(taskId: string): boolean;
  stats(): PoolStats;
  close(): Promise<void>;
  /** Cold shutdown: stop every isolate now (SIGKILL, `terminate()`), without waiting. */
  kill(): void;
}
