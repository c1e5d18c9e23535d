import { TaskQueueError } from './task-queue.error.js';

/**
 * Waiting for a task's result took longer than the given timeout. Celery: `TimeoutError`.
 * `backendSilent` is true when the result backend never answered during the wait (it is down
 * or too slow): the task's state is then unknown, not merely unfinished.
 * @publicApi
 */
export class TaskTimeoutError extends TaskQueueError {
  constructor(
    readonly taskId: string,
    readonly timeoutMs: number,
    readonly backendSilent = false,
    /** Replaces the advice after the first sentence of the message. */
    advice?: string,
  ) {
    super(
      advice
        ? `Task ${taskId} did not finish within ${timeoutMs} ms. ${advice}`
        : backendSilent
          ? `Task ${taskId}: the result backend did not answer within ${timeoutMs} ms, so its ` +
            `state is unknown (the task may have run). Check the result backend's connection ` +
            `(the worker logs its outages), then call get() again.`
          : `Task ${taskId} did not finish within ${timeoutMs} ms. It may still run: call get() again ` +
            `with a longer timeout, or check that a worker consumes its queue.`,
    );
  }
}
