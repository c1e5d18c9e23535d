/** `[hard, soft]` seconds; null where the task's own limit applies. */
export type MessageTimeLimits = [number | null, number | null];

/**
 * Python's `float()` on a string: surrounding whitespace, a sign, digits with single
 * underscores between them, a fraction, an exponent; or inf / infinity / nan.
 */
const PY_FLOAT =
  /^[+-]?(?:(?:\d(?:_?\d)*)?\.?\d(?:_?\d)*(?:[eE][+-]?\d(?:_?\d)*)?|\d(?:_?\d)*\.(?:[eE][+-]?\d(?:_?\d)*)?|inf(?:inity)?|nan)$/i;

/** A malformed limit: the header is then ignored. */
const MALFORMED = Symbol('malformed');

/**
 * The `timelimit` header (protocol v2) or body field (v1): `[time_limit, soft_time_limit]`.
 * Celery's worker hands each value to its timers, which take `float(value)`: numbers and
 * numeric strings ("10", " 2.5 ", "1e3") are seconds. Null, 0 or a negative value leaves the
 * task's own limit (Celery's `soft_time_limit or task.soft_time_limit`); so does infinity.
 * Anything else (a word, an object, a boolean, a list of another length) makes the whole header
 * ignored: `onMalformed` hears why, and the task runs with its own limits.
 */
export function parseTimeLimitHeader(
  value: unknown,
  onMalformed: (reason: string) => void,
): MessageTimeLimits {
  if (value === null || value === undefined) return [null, null];
  // An empty list is falsy to Celery's `if timelimit:`, so its defaults apply.
  if (Array.isArray(value) && value.length === 0) return [null, null];
  if (Array.isArray(value) && value.length === 2) {
    const hard = asLimit(value[0]);
    const soft = asLimit(value[1]);
    if (hard !== MALFORMED && soft !== MALFORMED) return [hard, soft];
  }
  onMalformed(
    `expected [hard, soft] in seconds, each a number, a numeric string or null ` +
      `(Celery writes [time_limit, soft_time_limit])`,
  );
  return [null, null];
}

function asLimit(value: unknown): number | null | typeof MALFORMED {
  if (value === null || value === undefined) return null;
  let seconds: number;
  if (typeof value === 'number') seconds = value;
  else if (typeof value === 'string' && PY_FLOAT.test(value.trim())) {
    seconds = pyFloat(value.trim());
  } else return MALFORMED;
  if (Number.isNaN(seconds)) return MALFORMED;
  return Number.isFinite(seconds) && seconds > 0 ? seconds : null;
}

function pyFloat(text: string): number {
  const plain = text.replace(/_/g, '').toLowerCase();
  const unsigned = plain.replace(/^[+-]/, '');
  if (unsigned === 'nan') return Number.NaN;
  if (unsigned.startsWith('inf')) return plain.startsWith('-') ? -Infinity : Infinity;
  return Number(plain);
}
