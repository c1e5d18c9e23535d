import type { IsolateHandle } from './isolate-handle.js';
import type { IsolateJob } from './isolate-protocol.js';
import type { PoolTask } from './task-pool.js';

/** A task given to a pool, until it settles. */
export interface PendingTask {
  seq: number;
  task: PoolTask;
  resolve(value: unknown): void;
  reject(error: unknown): void;
  member?: IsolateMember;
  timer?: NodeJS.Timeout;
  settled: boolean;
}

/** The pool's book-keeping of one isolate. */
export class IsolateMember {
  handle!: IsolateHandle;
  ready = false;
  /** Replaced (killed or crashed): its exit is expected, its tasks are settled. */
  dead = false;
  /** Recycled: takes no new task, closes when its last one settles. */
  retiring = false;
  served = 0;
  /** `name[id]` of the last task it finished: named when it dies (a timer that task left?). */
  lastTask?: string;
  dispatched = 0;
  bootTimer?: NodeJS.Timeout;
  readonly inFlight = new Map<number, PendingTask>();
  outbox: IsolateJob[] = [];
  readonly exited: Promise<void>;
  private markExited!: () => void;

  constructor(public role: 'serving' | 'spare') {
    this.exited = new Promise((resolve) => (this.markExited = resolve));
  }

  onExited(): void {
    this.markExited();
  }
}
