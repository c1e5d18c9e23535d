/** Longest name (task id, task name) a log line quotes whole. */
const MAX_NAME = 120;

/**
 * A value from a message, fit for one log line: a string cut to `max` characters (a hostile
 * producer can send a task name of megabytes), anything else `fallback`.
 */
export function logName(value: unknown, fallback: string, max = MAX_NAME): string {
  if (typeof value !== 'string' || value.length === 0) return fallback;
  return value.length > max ? `${value.slice(0, max - 3)}...` : value;
}

/**
 * Any stored or received value as text for a message, never throwing: a string as it is, a
 * primitive by String(), anything else as JSON (String() of `{"toString": 1}` throws and of
 * an object says "[object Object]"), cut to `max` characters.
 */
export function textOf(value: unknown, max = 2_000): string {
  let text: string;
  if (typeof value === 'string') text = value;
  else if (value === null || typeof value !== 'object') text = String(value);
  else {
    try {
      text =
        JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ??
        'undefined';
    } catch {
      text = Array.isArray(value) ? '[an unprintable array]' : '{an unprintable object}';
    }
  }
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}
