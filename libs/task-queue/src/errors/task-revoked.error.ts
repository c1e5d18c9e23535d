import { TaskQueueError } from './task-queue.error.js';

/** The task was revoked (by request or because it expired). Celery: `TaskRevokedError`. @publicApi */
export class TaskRevokedError extends TaskQueueError {
  constructor(
    readonly taskId: string,
    readonly reason: string,
  ) {
    super(`Task ${taskId} was revoked: ${reason}.`);
  }
}
