import { TaskQueueError } from './task-queue.error.js';

/** The task was revoked (by request or because it expired). Celery: `TaskRevokedError`. @publicApi */
export class TaskRevokedError extends TaskQueueError {
  constructor(
    readonly taskId: string,
    readonly reason: string,
    /** The signal a revoke with terminate named (`SIGTERM` when none), e.g. `SIGUSR1`. */
    readonly signal?: string,
  ) {
    super(`Task ${taskId} was revoked${REASONS.get(reason) ?? `: ${reason}`}.`);
  }
}

/** What the usual reasons mean; another reason (a custom one) is quoted as it is. */
const REASONS: ReadonlyMap<string, string> = new Map([
  ['revoked', ' before it ran (revoke(), or celery control revoke)'],
  ['expired', ': expired (it had not started when its expires time passed)'],
  ['terminated', ': terminated (a revoke with terminate stopped it while it ran)'],
]);
