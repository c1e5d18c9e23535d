import type { SerializedError, TaskMeta } from '../contracts/result-backend.interface.js';
import type { TaskState } from '../results/task-states.js';
import { celeryNow } from '../protocol/json-codec.js';

/** Identity fields of a stored result besides its id. */
export interface MetaOrigin {
  groupId?: string | null;
  parentId?: string | null;
}

/**
 * A ready result meta in Celery's format (docs/protocol.md#result-meta), for the chord join
 * (`[1, tid, state, result]`) and for results the workflow stores itself (a failed chord
 * body, later chain steps of a failed task).
 */
export function outcomeMeta(
  taskId: string,
  status: TaskState,
  result: unknown,
  traceback: string | null = null,
  origin: MetaOrigin = {},
): TaskMeta {
  const meta: TaskMeta = {
    task_id: taskId,
    status,
    result: result === undefined ? null : result,
    traceback,
    children: [],
    // As every stored result: six fraction digits, which Celery 5.2 reads as microseconds.
    date_done: celeryNow(),
  };
  if (origin.groupId) meta.group_id = origin.groupId;
  if (origin.parentId) meta.parent_id = origin.parentId;
  return meta;
}

/** Celery's `ChordError(message)` as a stored exception. */
export function chordError(message: string): SerializedError {
  return { exc_type: 'ChordError', exc_message: [message], exc_module: 'celery.exceptions' };
}

/** A one-line Python-style traceback for an exception the workflow raises itself. */
export function syntheticTraceback(error: SerializedError): string {
  const message = error.exc_message.map(String).join(', ');
  return `Traceback (most recent call last):\n${error.exc_module}.${error.exc_type}: ${message}\n`;
}
