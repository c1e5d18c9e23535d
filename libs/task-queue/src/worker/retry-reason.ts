import { Retry } from '../errors/task-signals.js';
import { pyExceptionRepr } from '../protocol/python-repr.js';
import { describeThrown } from '../protocol/thrown-value.js';

/**
 * Celery's `str(Retry)`: `Retry in 5s` for a countdown, `Retry at 2030-01-02 03:04:05.123000+00:00`
 * for an eta (Python's `str(datetime)`), followed by `: KeyError('again')` when the retry has
 * a cause (`retry({ error })`, an `autoretryFor` error). Python stores it in the RETRY's
 * traceback and logs `Task <name>[<id>] retry: <this>`.
 * `when` is the eta when the retry gave one, else the countdown in seconds.
 */
export function retryReason(when: Date | number, cause: unknown): string {
  const text = `Retry ${typeof when === 'number' ? `in ${when}s` : `at ${pyDatetime(when)}`}`;
  return cause instanceof Retry ? text : `${text}: ${pyExceptionRepr(describeThrown(cause))}`;
}

/** Python's `str()` of an aware UTC datetime: microseconds only when there are some. */
function pyDatetime(date: Date): string {
  const iso = date.toISOString(); // 2030-01-02T03:04:05.123Z
  const ms = date.getUTCMilliseconds();
  const fraction = ms === 0 ? '' : `.${String(ms).padStart(3, '0')}000`;
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction}+00:00`;
}

/**
 * The traceback stored with RETRY: the cause's stack (only its frames for the `Retry` signal,
 * whose own message says nothing), ending like Python's in `celery.exceptions.Retry: <reason>`.
 */
export function retryTraceback(stack: string | null, cause: unknown, reason: string): string {
  const frames =
    cause instanceof Retry && stack
      ? stack
          .split('\n')
          .filter((line) => /^\s+at /.test(line))
          .join('\n')
      : stack;
  return `${frames ? `${frames}\n` : ''}celery.exceptions.Retry: ${reason}`;
}
