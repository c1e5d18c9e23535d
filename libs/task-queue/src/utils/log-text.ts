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

/** Longest error message, and stack, a log line carries whole. */
export const LOG_MESSAGE_CHARS = 2_000;
export const LOG_STACK_CHARS = 8_000;

/**
 * Text cut to `max` characters for a log line, saying how long it was: an error message can be
 * megabytes (a handler that throws a response body), and one line of that floods the logs and
 * is dropped whole by log shippers. What is stored (the result, the dead letter) keeps it all.
 */
export function logCut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}... (cut: ${text.length} characters)`;
}

/**
 * An error's stack for a log line: V8 repeats the message at its top, so a huge message is cut
 * there first (keeping the frames that say where it was thrown), then the whole to
 * LOG_STACK_CHARS.
 */
export function logStack(stack: string, message: string): string {
  if (stack.length <= LOG_STACK_CHARS) return stack;
  const at = message.length > LOG_MESSAGE_CHARS ? stack.indexOf(message) : -1;
  const shorter =
    at < 0
      ? stack
      : stack.slice(0, at) + logCut(message, LOG_MESSAGE_CHARS) + stack.slice(at + message.length);
  return logCut(shorter, LOG_STACK_CHARS);
}
