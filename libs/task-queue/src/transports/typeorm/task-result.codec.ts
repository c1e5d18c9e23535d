import { encodeJson } from '../../protocol/json-codec.js';
import { decodePythonJson } from '../../protocol/python-floats.js';
import type { TaskMeta } from '../../contracts/result-backend.interface.js';
import type { TaskResult } from './task-result.entity.js';
import type { TaskResultValues } from './task-result.upsert.js';
import { storableText } from './ascii-text.js';
import type { SqlDialect } from './sql-dialect.type.js';

const json = (value: unknown, dialect: SqlDialect): string | null =>
  value === undefined ? null : storableText(encodeJson(value, 'result'), dialect);
const parse = <T>(text: string | null, fallback: T): T =>
  text === null ? fallback : (decodePythonJson(text, 'stored result') as T);

/**
 * The traceback column's text. On MySQL/MariaDB a traceback beyond ASCII is stored as an ASCII
 * JSON string (`storableText`), as is one that starts with a quote, and `readTraceback` turns it
 * back into the same text; other ASCII ones, and all of them elsewhere, are stored as they are.
 */
function tracebackText(traceback: string, dialect: SqlDialect): string {
  if (
    dialect !== 'mysql' ||
    (storableText(traceback, dialect) === traceback && !traceback.startsWith('"'))
  )
    return traceback;
  return storableText(JSON.stringify(traceback), dialect);
}

/** The traceback a `tracebackText` column holds. */
function readTraceback(text: string | null, dialect: SqlDialect): string | null {
  if (text === null || dialect !== 'mysql' || !text.startsWith('"')) return text;
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'string' ? parsed : text;
  } catch {
    return text;
  }
}

/**
 * Column values for storing `meta`, expiring at `expiresAt`. On MySQL/MariaDB the JSON columns
 * and the traceback keep only ASCII (`storableText`, `tracebackText`), so any Unicode fits a
 * latin1 or utf8mb3 table and reads back unchanged.
 */
export function toResultValues(
  meta: TaskMeta,
  expiresAt: Date,
  dialect: SqlDialect = 'other',
): TaskResultValues {
  return {
    task_id: meta.task_id,
    status: meta.status,
    result: json(meta.result ?? null, dialect),
    traceback: meta.traceback == null ? null : tracebackText(meta.traceback, dialect),
    // Id tuples the worker wrote: nothing JSON.stringify would lose.
    children: JSON.stringify(meta.children ?? []),
    name: meta.name ?? null,
    args: json(meta.args ?? null, dialect),
    kwargs: json(meta.kwargs ?? null, dialect),
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
export function fromResultRow(row: TaskResult, dialect: SqlDialect = 'other'): TaskMeta {
  return {
    task_id: row.taskId,
    status: row.status,
    result: parse<unknown>(row.result, null),
    traceback: readTraceback(row.traceback, dialect),
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
