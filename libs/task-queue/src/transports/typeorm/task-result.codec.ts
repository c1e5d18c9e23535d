import { encodeJson } from '../../protocol/json-codec.js';
import { decodePythonJson } from '../../protocol/python-floats.js';
import type { TaskMeta } from '../../contracts/result-backend.interface.js';
import type { TaskResult } from './task-result.entity.js';
import type { TaskResultValues } from './task-result.upsert.js';

const json = (value: unknown): string | null =>
  value === undefined ? null : encodeJson(value, 'result');
const parse = <T>(text: string | null, fallback: T): T =>
  text === null ? fallback : (decodePythonJson(text, 'stored result') as T);

/** Column values for storing `meta`, expiring at `expiresAt`. */
export function toResultValues(meta: TaskMeta, expiresAt: Date): TaskResultValues {
  return {
    task_id: meta.task_id,
    status: meta.status,
    result: json(meta.result ?? null),
    traceback: meta.traceback ?? null,
    // Id tuples the worker wrote: nothing JSON.stringify would lose.
    children: JSON.stringify(meta.children ?? []),
    name: meta.name ?? null,
    args: json(meta.args ?? null),
    kwargs: json(meta.kwargs ?? null),
    worker: meta.worker ?? null,
    retries: meta.retries ?? null,
    queue: meta.queue ?? null,
    group_id: meta.group_id ?? null,
    parent_id: meta.parent_id ?? null,
    date_created: new Date(),
    date_done: meta.date_done ? new Date(meta.date_done) : null,
    expires_at: expiresAt,
  };
}

/** The Celery meta of a stored row. */
export function fromResultRow(row: TaskResult): TaskMeta {
  return {
    task_id: row.taskId,
    status: row.status,
    result: parse<unknown>(row.result, null),
    traceback: row.traceback,
    children: parse<unknown[]>(row.children, []),
    date_done: row.dateDone ? row.dateDone.toISOString() : null,
    group_id: row.groupId,
    parent_id: row.parentId,
    name: row.name,
    args: parse<unknown[] | null>(row.args, null),
    kwargs: parse<Record<string, unknown> | null>(row.kwargs, null),
    worker: row.worker,
    retries: row.retries,
    queue: row.queue,
  };
}
