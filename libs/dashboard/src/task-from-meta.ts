import { newTaskRecord, type TaskMeta, type TaskRecord } from 'celeriac';

/** A task record from result-backend meta (a task the live state no longer holds). */
export function taskFromMeta(meta: TaskMeta): TaskRecord {
  const done = meta.date_done ? Date.parse(meta.date_done) : null;
  const failed = meta.status === 'FAILURE' || meta.status === 'RETRY' || meta.status === 'REVOKED';
  return {
    ...newTaskRecord(meta.task_id, done ?? 0),
    name: meta.name ?? null,
    state: meta.status,
    args: meta.args ? JSON.stringify(meta.args) : null,
    kwargs: meta.kwargs ? JSON.stringify(meta.kwargs) : null,
    result: failed ? null : JSON.stringify(meta.result ?? null),
    exception: failed ? JSON.stringify(meta.result ?? null) : null,
    traceback: meta.traceback,
    retries: meta.retries ?? 0,
    worker: meta.worker ?? null,
    queue: meta.queue ?? null,
    parentId: meta.parent_id ?? null,
    finished: done,
  };
}
