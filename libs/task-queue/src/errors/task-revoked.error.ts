import { TaskQueueError } from './task-queue.error.js';

/** The task was revoked (by request or because it expired). Celery: `TaskRevokedError`. @publicApi */
export class TaskRevokedError extends TaskQueueError {
  constructor(
    readonly taskId: string,
    readonly reason: string,
    /** The signal a revoke with terminate named (`SIGTERM` when none), e.g. `SIGUSR1`. */
    readonly signal?: string,
  ) {
    super(`Task ${taskId} was revoked: ${reason}.`);
  }
}
