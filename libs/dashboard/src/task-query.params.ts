import type { TaskQuery } from 'celeriac';

/** Query-string parameters of `GET api/tasks` (all optional strings). @publicApi */
export interface TaskQueryParams {
  q?: string;
  id?: string;
  name?: string;
  /** Comma-separated states. */
  state?: string;
  worker?: string;
  args?: string;
  /** ISO date or ms since the epoch. */
  from?: string;
  to?: string;
  limit?: string;
  offset?: string;
}

/** Turn query-string parameters into a {@link TaskQuery}; blanks are ignored. */
export function parseTaskQuery(params: TaskQueryParams): TaskQuery {
  const text = (value?: string) =>
    typeof value === 'string' && value.trim() ? value.trim() : undefined;
  const time = (value?: string) => {
    const v = text(value);
    if (v === undefined) return undefined;
    const ms = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
    return Number.isFinite(ms) ? ms : undefined;
  };
  const int = (value?: string) => {
    const n = Number(text(value));
    return Number.isInteger(n) && n >= 0 ? n : undefined;
  };
  return {
    text: text(params.q),
    id: text(params.id),
    name: text(params.name),
    state: text(params.state)
      ?.split(',')
      .map((s) => s.trim().toUpperCase()),
    worker: text(params.worker),
    args: text(params.args),
    from: time(params.from),
    to: time(params.to),
    limit: int(params.limit),
    offset: int(params.offset),
  };
}
