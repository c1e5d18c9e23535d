import type { TaskRecord } from './task-record.js';

/**
 * A search over the tasks the cluster state holds. Every given criterion must match; text
 * criteria are case-insensitive substrings.
 * @publicApi
 */
export interface TaskQuery {
  /** Free text: matched against id, name, args, kwargs, result, exception and worker. */
  text?: string;
  /** Exact task id. */
  id?: string;
  name?: string;
  /** One state or several (`FAILURE`, `SUCCESS` ...). */
  state?: string | readonly string[];
  worker?: string;
  /** Substring of the args or kwargs repr. */
  args?: string;
  /** Last update at or after (ms since the epoch). */
  from?: number;
  /** Last update at or before (ms since the epoch). */
  to?: number;
  /** Page size (default 50, at most 1,000). */
  limit?: number;
  offset?: number;
}

/** One page of a search, newest first. @publicApi */
export interface TaskPage {
  items: TaskRecord[];
  /** How many matched in all. */
  total: number;
}

/** A predicate for `query`. */
export function taskMatcher(query: TaskQuery): (task: TaskRecord) => boolean {
  const lower = (value?: string) => (value ? value.toLowerCase() : undefined);
  const text = lower(query.text);
  const name = lower(query.name);
  const worker = lower(query.worker);
  const args = lower(query.args);
  const states = query.state === undefined ? undefined : new Set([query.state].flat());
  const has = (value: string | null, part: string) =>
    value !== null && value.toLowerCase().includes(part);
  return (task) =>
    (query.id === undefined || task.uuid === query.id) &&
    (states === undefined || states.size === 0 || states.has(task.state)) &&
    (name === undefined || has(task.name, name)) &&
    (worker === undefined || has(task.worker, worker)) &&
    (args === undefined || has(task.args, args) || has(task.kwargs, args)) &&
    (query.from === undefined || task.updated >= query.from) &&
    (query.to === undefined || task.updated <= query.to) &&
    (text === undefined ||
      task.uuid.includes(text) ||
      [task.name, task.args, task.kwargs, task.result, task.exception, task.worker].some((v) =>
        has(v, text),
      ));
}
