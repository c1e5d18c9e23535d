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
