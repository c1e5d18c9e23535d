import type { TaskRecord } from 'celeriac';

/** The fields of a task that can hold any amount of text. */
export const LONG_FIELDS = ['args', 'kwargs', 'result', 'exception', 'traceback'] as const;
/** @publicApi */
export type LongField = (typeof LONG_FIELDS)[number];

/**
 * A task's detail: the record with each long field cut to {@link DETAIL_FIELD_CHARS} characters,
 * and `truncated` giving the full size in UTF-8 bytes of every field that was cut. The whole
 * value is at `api/tasks/:id/fields/:field`. @publicApi
 */
export type TaskDetail = TaskRecord & { truncated: Partial<Record<LongField, number>> };

/** 64 Ki characters of a field in the detail view: enough to read, small enough to render. */
export const DETAIL_FIELD_CHARS = 64 * 1024;

export function isLongField(name: string): name is LongField {
  return (LONG_FIELDS as readonly string[]).includes(name);
}

/** The record for the detail view: long fields cut, their full sizes in `truncated`. */
export function taskDetail(task: TaskRecord, maxChars = DETAIL_FIELD_CHARS): TaskDetail {
  const detail: TaskDetail = { ...task, truncated: {} };
  for (const field of LONG_FIELDS) {
    const text = task[field];
    if (text === null || text.length <= maxChars) continue;
    detail[field] = cutAt(text, maxChars);
    detail.truncated[field] = Buffer.byteLength(text, 'utf8');
  }
  return detail;
}

/** The first `max` UTF-16 units, without splitting a surrogate pair. */
function cutAt(text: string, max: number): string {
  const code = text.charCodeAt(max - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}
