import type { TaskMeta } from '../contracts/result-backend.interface.js';
import { encodeJson } from './json-codec.js';

/**
 * A result meta as JSON in the field order Python writes (docs/protocol.md#result-meta):
 * status, result, traceback, children, date_done, task_id, then group_id / parent_id when set
 * and the `result_extended` fields when present. Only the values a task gave (`result`,
 * `args`, `kwargs`) go through {@link encodeJson} (Python's float tokens, errors for what JSON
 * cannot carry); the fields the worker writes are strings, numbers and id tuples. Each field
 * is read by name: this runs for every result, and keyed reads of varying names are slow.
 */
export function encodeTaskMeta(meta: TaskMeta): string {
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
