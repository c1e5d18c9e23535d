import { AsyncLocalStorage } from 'node:async_hooks';
import type { TaskState } from '../results/task-states.js';
import type { TaskRequest } from '../protocol/task-request.js';
import type { ResultTuple } from '../results/chord-parts.js';

/** What the worker knows about the task running in the current async context. */
export interface RunningTask {
  request: TaskRequest;
  hostname: string;
  deliveryInfo: { exchange: string; routingKey: string; priority: number; redelivered: boolean };
  signal: AbortSignal;
  updateState(state: TaskState, meta?: unknown): Promise<void>;
  /**
   * Tasks and groups sent from this task (in its body, then its callbacks and chain), stored
   * as the result's `children` like Celery's `add_trail`. Undefined until the first send.
   */
  children?: ResultTuple[];
}

/** Record a result sent from the running task, if any (Celery's `add_trail`). */
export function addChildResult(tuple: ResultTuple): void {
  const running = taskContextStorage.getStore();
  if (running) (running.children ??= []).push(tuple);
}

/** The one AsyncLocalStorage behind TaskContext and parent/root id propagation. */
export const taskContextStorage = new AsyncLocalStorage<RunningTask>();
