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
  /**
   * After-commit callbacks of transactions the task committed (the commit hooks runner adds
   * them): the worker waits for them before it stores the result, as Django runs `on_commit`
   * callbacks inside the commit, before the task returns. Undefined until the first commit.
   */
  onCommitWork?: Promise<void>[];
}

/** Record a result sent from the running task, if any (Celery's `add_trail`). */
export function addChildResult(tuple: ResultTuple): void {
  const running = taskContextStorage.getStore();
  if (running) (running.children ??= []).push(tuple);
}

/**
 * For a send decided now and made later (on commit): what records `tuple` in the running
 * task's children then, or undefined outside a task.
 */
export function childRecorder(tuple: ResultTuple): (() => void) | undefined {
  const running = taskContextStorage.getStore();
  return running && (() => void (running.children ??= []).push(tuple));
}

/** Have the running task, if any, wait for `work` (settled) before it stores its result. */
export function holdRunningTask(work: Promise<void>): void {
  const running = taskContextStorage.getStore();
  if (running) (running.onCommitWork ??= []).push(work);
}

/** The one AsyncLocalStorage behind TaskContext and parent/root id propagation. */
export const taskContextStorage = new AsyncLocalStorage<RunningTask>();
