import { ResultBackendError } from '../../errors/result-backend.error.js';
import type { TaskMeta } from '../../contracts/result-backend.interface.js';
import { encodeTaskMeta } from '../../protocol/task-meta.codec.js';
import { decodePythonJson } from '../../protocol/python-floats.js';

/** Celery's Redis result key (and pub/sub channel): `celery-task-meta-<id>`. */
export const taskKey = (taskId: string): string => `celery-task-meta-${taskId}`;
/** Celery's group / chord key: `celery-taskset-meta-<gid>[suffix]`. */
export const groupKey = (groupId: string, suffix = ''): string =>
  `celery-taskset-meta-${groupId}${suffix}`;

/** The meta JSON as Python writes it (see {@link encodeTaskMeta}). */
export function encodeMeta(meta: TaskMeta): string {
  return encodeTaskMeta(meta);
}

/** Parse a stored meta; a value that is not a Celery meta is a ResultBackendError for that task. */
export function decodeMeta(taskId: string, raw: string): TaskMeta {
  let parsed: unknown;
  try {
    parsed = decodePythonJson(raw, 'stored result');
  } catch (error) {
    throw unreadable(taskId, raw, 'it is not JSON', error);
  }
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    typeof (parsed as TaskMeta).status !== 'string'
  ) {
    throw unreadable(taskId, raw, 'it has no "status" field');
  }
  const meta = parsed as TaskMeta;
  return {
    ...meta,
    task_id: typeof meta.task_id === 'string' ? meta.task_id : taskId,
    result: meta.result ?? null,
    traceback: meta.traceback ?? null,
    children: Array.isArray(meta.children) ? meta.children : [],
    date_done: meta.date_done ?? null,
  };
}

function unreadable(taskId: string, raw: string, why: string, cause?: unknown): ResultBackendError {
  const shown = raw.length > 120 ? `${raw.slice(0, 117)}...` : raw;
  return new ResultBackendError(
    `The stored result of task ${taskId} (key ${taskKey(taskId)}) cannot be read: ${why}. ` +
      `Value: ${shown}. Another program may have written it; forget() the task to clear it.`,
    { cause },
  );
}
