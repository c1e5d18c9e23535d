import { EventEmitter } from 'node:events';
import type { TaskMeta } from '../../contracts/result-backend.interface.js';
import { isReadyState } from '../../results/task-states.js';

/**
 * The latest state received for each task id, in memory, with an event per update. A ready
 * state (SUCCESS, FAILURE, REVOKED) is never replaced by a non-ready one that arrives late.
 */
export class RpcResultCache {
  readonly events = new EventEmitter().setMaxListeners(0);
  private readonly entries = new Map<string, TaskMeta>();

  constructor(private readonly maxEntries: number) {}

  /** Record a state; returns false when it was ignored (a late non-ready state). */
  put(taskId: string, meta: TaskMeta): boolean {
    const current = this.entries.get(taskId);
    if (current && isReadyState(current.status) && !isReadyState(meta.status)) return false;
    this.entries.delete(taskId);
    this.entries.set(taskId, meta);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    this.events.emit(taskId, structuredClone(meta));
    return true;
  }

  get(taskId: string): TaskMeta | null {
    const meta = this.entries.get(taskId);
    return meta ? structuredClone(meta) : null;
  }

  delete(taskId: string): void {
    this.entries.delete(taskId);
  }
}
