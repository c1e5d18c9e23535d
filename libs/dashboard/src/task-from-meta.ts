import { newTaskRecord, type TaskMeta, type TaskRecord } from 'celeriac';

/** A task record from result-backend meta (a task the live state no longer holds). */
export function taskFromMeta(meta: TaskMeta): TaskRecord {
  const parsed = typeof meta.date_done === 'string' ? Date.parse(meta.date_done) : NaN;
  const done = Number.isNaN(parsed) ? null : parsed;
  const failed = meta.status === 'FAILURE' || meta.status === 'RETRY' || meta.status === 'REVOKED';
  return {
    ...newTaskRecord(meta.task_id, done ?? 0),
    name: meta.name ?? null,
    state: meta.status,
    args: meta.args ? displayJson(meta.args) : null,
    kwargs: meta.kwargs ? displayJson(meta.kwargs) : null,
    result: failed ? null : displayJson(meta.result ?? null),
    exception: failed ? displayJson(meta.result ?? null) : null,
    traceback: meta.traceback,
    retries: meta.retries ?? 0,
    worker: meta.worker ?? null,
    queue: meta.queue ?? null,
    parentId: meta.parent_id ?? null,
    finished: done,
  };
}

/**
 * A stored value as JSON text for display. Python writes integers beyond 2^53 (read back as
 * BigInt: its digits are shown) and another program may store a value nested deeper than
 * JSON.stringify can write (shown as a note instead of failing the whole request).
 */
export function displayJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  } catch (error) {
    if (error instanceof RangeError) return '"(not shown: nested too deep to display)"';
    return `"(not shown: ${String((error as Error).message)})"`;
  }
}
