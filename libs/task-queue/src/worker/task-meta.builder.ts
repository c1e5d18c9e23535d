import type { TaskMeta } from '../contracts/result-backend.interface.js';
import { celeryNow } from '../protocol/json-codec.js';
import type { TaskRequest } from '../protocol/task-request.js';
import type { TaskState } from '../results/task-states.js';

/** The request fields a stored state names; only the id is always known. */
export type MetaRequest = Pick<TaskRequest, 'id'> & Partial<TaskRequest>;

/**
 * One task state in Celery's result-meta format. `extended` (`result_extended`) adds the task's
 * name, worker, retries and queue, and its arguments unless `withArgs` is false (they could not
 * be encoded).
 */
export function buildTaskMeta(
  request: MetaRequest,
  hostname: string,
  status: TaskState,
  result: unknown,
  traceback: string | null,
  extended: boolean,
  withArgs: boolean,
): TaskMeta {
  const ready = status === 'SUCCESS' || status === 'FAILURE' || status === 'REVOKED';
  const meta: TaskMeta = {
    task_id: request.id,
    status,
    result,
    traceback,
    children: [],
    // Python 5.2 reads fraction digits as microseconds: write six of them.
    date_done: ready ? celeryNow() : null,
    group_id: request.group ?? null,
    parent_id: request.parentId ?? null,
  };
  if (extended) {
    // Assigned one by one: an Object.assign of a literal cost about three times as much, on
    // every result a worker stores.
    meta.name = request.name ?? null;
    meta.args = withArgs ? (request.args ?? null) : null;
    meta.kwargs = withArgs ? (request.kwargs ?? null) : null;
    meta.worker = hostname;
    meta.retries = request.retries ?? 0;
    meta.queue = request.queue ?? null;
  }
  return meta;
}
