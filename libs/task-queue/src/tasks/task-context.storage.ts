import { AsyncLocalStorage } from 'node:async_hooks';
import type { TaskState } from '../results/task-states.js';
import type { TaskRequest } from '../protocol/task-request.js';

/** What the worker knows about the task running in the current async context. */
export interface RunningTask {
  request: TaskRequest;
  hostname: string;
  deliveryInfo: { exchange: string; routingKey: string; priority: number; redelivered: boolean };
  signal: AbortSignal;
  updateState(state: TaskState, meta?: unknown): Promise<void>;
}

/** The one AsyncLocalStorage behind TaskContext and parent/root id propagation. */
export const taskContextStorage = new AsyncLocalStorage<RunningTask>();
