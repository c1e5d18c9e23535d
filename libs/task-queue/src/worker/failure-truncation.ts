import type { SerializedError, TaskMeta } from '../contracts/result-backend.interface.js';
import { MessageTooLargeError } from '../errors/message-too-large.error.js';

/** The longest exception argument or traceback kept when a state is too large to store. */
const KEPT_TEXT_CHARS = 64 * 1024;

/**
 * True when the result backend refused a state for its size (RabbitMQ's `max_message_size`
 * for `rpc://`; a database's packet limit; Redis' bulk length): a definite refusal, which
 * retrying cannot help.
 */
export function isTooLargeRefusal(error: unknown): error is MessageTooLargeError {
  return error instanceof MessageTooLargeError;
}

/**
 * A copy of a FAILURE / RETRY / REVOKED state small enough for any backend: each exception
 * argument and the traceback cut to 64 KiB characters (or a quarter of the refused limit, when
 * smaller), ending with `... [truncated N characters]`; the task's arguments (`result_extended`)
 * are left out. Undefined when nothing in the state could be cut (it is not the error that is
 * large).
 */
export function truncatedFailure(meta: TaskMeta, limit: number): TaskMeta | undefined {
  const keep = Math.max(1024, Math.min(KEPT_TEXT_CHARS, Math.floor(limit / 4) || KEPT_TEXT_CHARS));
  let cut = false;
  const shorten = (text: string): string => {
    if (text.length <= keep) return text;
    cut = true;
    return `${text.slice(0, keep)}... [truncated ${text.length - keep} characters]`;
  };
  const error = meta.result as Partial<SerializedError> | null;
  let result = meta.result;
  if (error && typeof error === 'object' && Array.isArray(error.exc_message)) {
    result = { ...error, exc_message: error.exc_message.map((arg) => shortenArg(arg, shorten)) };
  }
  const traceback = meta.traceback === null ? null : shorten(meta.traceback);
  const hadArgs = meta.args != null || meta.kwargs != null;
  if (!cut && !hadArgs) return undefined;
  const copy: TaskMeta = { ...meta, result, traceback };
  if ('args' in meta) copy.args = null;
  if ('kwargs' in meta) copy.kwargs = null;
  return copy;
}

/** One exception argument: a long string cut; anything else cut as its JSON text. */
function shortenArg(arg: unknown, shorten: (text: string) => string): unknown {
  if (typeof arg === 'string') return shorten(arg);
  if (arg === null || typeof arg !== 'object') return arg;
  let json: string | undefined;
  try {
    json = JSON.stringify(arg);
  } catch {
    return arg;
  }
  if (json === undefined) return arg;
  const short = shorten(json);
  return short === json ? arg : short;
}
