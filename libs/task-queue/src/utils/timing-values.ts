/**
 * Checks shared by the producer's send options and a task's `ctx.retry()` options: what no
 * message can carry as a countdown (seconds from `now`) or as a date.
 */

/** Why `value` is not a usable number of seconds from `now`, or undefined. */
export function secondsProblem(value: unknown, now: number): string | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    return `must be a finite number of seconds; got ${shownValue(value)}`;
  }
  if (Number.isNaN(new Date(now + value * 1000).getTime())) {
    return `of ${value} s ends past the last date JavaScript can represent`;
  }
  return undefined;
}

export function isValidDate(value: unknown): boolean {
  return value instanceof Date && !Number.isNaN(value.getTime());
}

/** A refused value as an error message shows it. */
export function shownValue(value: unknown): string {
  if (value instanceof Date) return 'an invalid Date';
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
