import type { TaskEvent } from '../../tasks/task-events.js';
import { type CeleryEvent, utcOffsetHours } from './event-fields.js';
import { pyExceptionRepr, pyRepr, pyTupleRepr, truncateRepr } from '../../protocol/python-repr.js';
import { Retry } from '../../errors/task-signals.js';
import { TaskRevokedError } from '../../errors/task-revoked.error.js';
import { constants } from 'node:os';
import { retryTraceback } from '../../worker/retry-reason.js';

/**
 * The Celery-specific fields of a task event (docs/protocol.md#event-fields), beyond the standard ones: args and
 * results as Python reprs, exceptions as `Name('message')`, revocations with
 * terminated / signum / expired.
 */
export function celeryTaskFields(event: TaskEvent): Record<string, unknown> {
  const uuid = event.taskId;
  switch (event.type) {
    case 'task-received':
      return {
        uuid,
        // Celery's request.name: the `shadow` header when set.
        name: event.shadow ?? event.name,
        // Celery sends the message's argsrepr / kwargsrepr (a producer may mask secrets there).
        args: event.argsrepr ?? pyTupleRepr(event.args ?? []),
        kwargs: event.kwargsrepr ?? pyRepr(event.kwargs ?? {}),
        root_id: event.rootId ?? uuid,
        parent_id: event.parentId ?? null,
        retries: event.retries ?? 0,
        eta: event.eta ?? null,
        expires: event.expires ?? null,
      };
    case 'task-started':
      return { uuid };
    case 'task-succeeded':
      return { uuid, result: truncateRepr(pyRepr(event.result)), runtime: event.runtime ?? 0 };
    case 'task-failed':
      return {
        uuid,
        exception: pyExceptionRepr(event.error ?? { name: 'Exception', message: 'unknown' }),
        traceback: event.error?.stack ?? '',
      };
    case 'task-retried':
      // Celery's Request.on_retry: the repr of the retry's cause (None for a bare retry), and
      // the traceback ending in `celery.exceptions.Retry: Retry in 5s`, as stored with RETRY.
      return {
        uuid,
        exception:
          event.cause instanceof Retry || !event.error ? 'None' : pyExceptionRepr(event.error),
        traceback: retryTraceback(event.error?.stack ?? null, event.cause, event.reason ?? 'Retry'),
      };
    case 'task-revoked':
      return {
        uuid,
        terminated: event.reason === 'terminated',
        signum: event.reason === 'terminated' ? signumOf(event.cause) : null,
        expired: event.reason === 'expired',
      };
    default:
      return { uuid, requeue: false };
  }
}

/**
 * The whole Celery event of a task event: the standard fields (docs/protocol.md#event-fields, as `standardFields`
 * writes them) and the task ones, built as one object (this runs several times per task).
 */
export function celeryTaskEvent(event: TaskEvent, hostname: string, clock: number): CeleryEvent {
  const timestamp = event.timestamp;
  return Object.assign(
    {
      hostname,
      utcoffset: utcOffsetHours(timestamp),
      pid: process.pid,
      clock,
      timestamp: timestamp / 1000,
      type: event.type,
    },
    celeryTaskFields(event),
  );
}

/** The number of the signal a revoke with terminate named (`SIGTERM`, 15, when none). */
function signumOf(cause: unknown): number {
  const name = cause instanceof TaskRevokedError ? cause.signal : undefined;
  return (name && (constants.signals as Record<string, number>)[name]) || 15;
}
