import { TaskQueueError } from './task-queue.error.js';

/** A task asked to retry after its last allowed attempt. Celery: `MaxRetriesExceededError`. @publicApi */
export class MaxRetriesExceededError extends TaskQueueError {
  constructor(
    readonly taskName: string,
    readonly taskId: string,
    readonly maxRetries: number,
    options?: { cause?: unknown },
  ) {
    super(`Can't retry ${taskName}[${taskId}]: max retries (${maxRetries}) exceeded.`, options);
  }
}
