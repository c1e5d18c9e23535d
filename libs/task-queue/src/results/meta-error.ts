import type { TaskMeta } from '../contracts/result-backend.interface.js';
import { TaskRevokedError } from '../errors/task-revoked.error.js';
import { deserializeError } from '../protocol/celery-error.codec.js';
import { TaskStates } from './task-states.js';

/** Celery's `PROPAGATE_STATES`: the states whose result `get()` raises. */
export function propagatesError(meta: TaskMeta): boolean {
  return meta.status === TaskStates.FAILURE || meta.status === TaskStates.REVOKED;
}

/**
 * The error `get()` raises for a stored FAILURE or REVOKED meta: a TaskRevokedError, or the
 * task's own exception (a RemoteTaskError carrying the remote class name, message and stack).
 */
export function errorOfMeta(taskId: string, meta: TaskMeta): Error {
  if (meta.status === TaskStates.REVOKED) return new TaskRevokedError(taskId, revokeReason(meta));
  return deserializeError(taskId, meta.result, meta.traceback);
}

function revokeReason(meta: TaskMeta): string {
  const result = meta.result as { exc_message?: unknown[] } | null;
  const message = Array.isArray(result?.exc_message) ? result.exc_message[0] : undefined;
  return typeof message === 'string' ? message : 'revoked';
}
