import type { TaskRequest } from '../protocol/task-request.js';
import type { RevokedTasks } from '../revocation/revoked-tasks.js';
import type { TaskRegistry } from '../tasks/task.registry.js';

/** Why a request is settled without running: an unknown task, or revoked (expiry included). */
export type Refusal = { unknown: true } | { unknown: false; reason: string };

/**
 * The checks a worker makes before running a request, as Celery makes them on receipt: is the
 * task registered, was it revoked, has it expired? Null when it may run.
 */
export function refusalOf(
  request: TaskRequest,
  registry: TaskRegistry,
  revoked: RevokedTasks,
  now = Date.now(),
): Refusal | null {
  if (!registry.get(request.name)) return { unknown: true };
  const revocation = revoked.get(request.id);
  // Celery terminates running tasks only: one that comes revoked is 'revoked', also when the
  // revoke asked to terminate it (Request.revoked()).
  if (revocation) {
    const reason = revocation.reason === 'terminated' ? 'revoked' : revocation.reason;
    return { unknown: false, reason };
  }
  if (request.expires && request.expires.getTime() <= now) {
    return { unknown: false, reason: 'expired' };
  }
  return null;
}
