import { TaskQueueError } from './task-queue.error.js';

/** Waiting for a task's result took longer than the given timeout. Celery: `TimeoutError`. @publicApi */
export class TaskTimeoutError extends TaskQueueError {
  constructor(
    readonly taskId: string,
    readonly timeoutMs: number,
  ) {
    super(
      `Task ${taskId} did not finish within ${timeoutMs} ms. It may still run: call get() again ` +
        `with a longer timeout, or check that a worker consumes its queue.`,
    );
  }
}
