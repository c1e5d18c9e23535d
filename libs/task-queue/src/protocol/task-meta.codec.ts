import type { TaskMeta } from '../contracts/result-backend.interface.js';
import { encodeJson, isPlainJson } from './json-codec.js';

/**
 * A result meta as JSON in the field order Python writes (docs/protocol.md#result-meta):
 * status, result, traceback, children, date_done, task_id, then group_id / parent_id when set
 * and the `result_extended` fields when present. Only the values a task gave (`result`,
 * `args`, `kwargs`) go through {@link encodeJson} (Python's float tokens, errors for what JSON
 * cannot carry); the fields the worker writes are strings, numbers and id tuples. Each field
 * is read by name: this runs for every result, and keyed reads of varying names are slow.
 */
export function encodeTaskMeta(meta: TaskMeta): string {
  // The common meta (plain result, arguments): one native encoding of the whole object.
  if (
    isPlainJson(meta.result ?? null) &&
    (meta.args === undefined || isPlainJson(meta.args)) &&
    (meta.kwargs === undefined || isPlainJson(meta.kwargs))
  ) {
    return JSON.stringify(plainMeta(meta));
  }
  const what = `the result of task ${meta.task_id}`;
  let text =
    `{"status":${JSON.stringify(meta.status)},` +
    `"result":${encodeJson(meta.result ?? null, what)},` +
    `"traceback":${JSON.stringify(meta.traceback ?? null)},` +
    `"children":${JSON.stringify(meta.children ?? [])},` +
    `"date_done":${JSON.stringify(meta.date_done ?? null)},` +
    `"task_id":${JSON.stringify(meta.task_id)}`;
  if (meta.group_id) text += `,"group_id":${JSON.stringify(meta.group_id)}`;
  if (meta.parent_id) text += `,"parent_id":${JSON.stringify(meta.parent_id)}`;
  if (meta.name !== undefined) text += `,"name":${JSON.stringify(meta.name)}`;
  if (meta.args !== undefined) text += `,"args":${encodeJson(meta.args, what)}`;
  if (meta.kwargs !== undefined) text += `,"kwargs":${encodeJson(meta.kwargs, what)}`;
  if (meta.worker !== undefined) text += `,"worker":${JSON.stringify(meta.worker)}`;
  if (meta.retries !== undefined) text += `,"retries":${JSON.stringify(meta.retries)}`;
  if (meta.queue !== undefined) text += `,"queue":${JSON.stringify(meta.queue)}`;
  return `${text}}`;
}

/** The meta as an object whose keys JSON.stringify writes in Python's order. */
function plainMeta(meta: TaskMeta): Record<string, unknown> {
  const out: Record<string, unknown> = {
    status: meta.status,
    result: meta.result ?? null,
    traceback: meta.traceback ?? null,
    children: meta.children ?? [],
    date_done: meta.date_done ?? null,
    task_id: meta.task_id,
  };
  if (meta.group_id) out.group_id = meta.group_id;
  if (meta.parent_id) out.parent_id = meta.parent_id;
  if (meta.name !== undefined) out.name = meta.name;
  if (meta.args !== undefined) out.args = meta.args;
  if (meta.kwargs !== undefined) out.kwargs = meta.kwargs;
  if (meta.worker !== undefined) out.worker = meta.worker;
  if (meta.retries !== undefined) out.retries = meta.retries;
  if (meta.queue !== undefined) out.queue = meta.queue;
  return out;
}
