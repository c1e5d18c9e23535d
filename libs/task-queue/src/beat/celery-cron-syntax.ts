/**
 * Rewrites the forms Celery's `crontab()` accepts and croner does not into croner's syntax:
 * - a range whose end is below its start wraps past the field's maximum, as in Celery
 *   (`fri-mon` = Fri, Sat, Sun, Mon; `22-2` = 22, 23, 0, 1, 2; `5-1/2` = Fri, Sun);
 * - a day name is read from its first three letters, in any case (`sunday`, `Tuesday`);
 * - a step slices the expanded values as Celery does (`values[::step]`), so a step past the
 *   field's size keeps the first value (`*\/90` minutes = 0, `*\/30` hours = 0), where croner
 *   refuses it.
 * Everything else is passed through unchanged, for croner to parse (or refuse).
 */

/** Celery's bounds of minute, hour, day_of_month, month_of_year, day_of_week. */
const BOUNDS: ReadonlyArray<readonly [number, number]> = [
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [0, 6],
];
const SECONDS: readonly [number, number] = [0, 59];
const DAY_OF_WEEK = 4;
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const RANGE = /^([0-9a-z]+)-([0-9a-z]+)(?:\/(\d+))?$/i;
const STAR_STEP = /^\*\/(\d+)$/;

/** `expression` (5 fields, or 6 with seconds first) in croner's syntax. */
export function toCronerSyntax(expression: string): string {
  const fields = expression.trim().split(/\s+/);
  const withSeconds = fields.length === 6;
  return fields
    .map((field, index) => {
      const kind = withSeconds ? index - 1 : index;
      const bounds = kind < 0 ? SECONDS : BOUNDS[kind];
      if (!bounds) return field;
      return field
        .split(',')
        .map((part) => rewritePart(part, kind, bounds))
        .join(',');
    })
    .join(' ');
}

function rewritePart(part: string, kind: number, [min, max]: readonly [number, number]): string {
  if (kind === DAY_OF_WEEK) part = part.replace(/[a-z]{4,}/gi, shortDayName);
  const star = STAR_STEP.exec(part);
  if (star) return slice(min, max, min, max, Number(star[1]), part);
  const range = RANGE.exec(part);
  if (!range) return part;
  const from = valueOf(range[1]!, kind);
  const to = valueOf(range[2]!, kind);
  if (from === null || to === null || from > max || to < min || from < min) return part;
  if (to >= from && (range[3] === undefined || to > max)) return part;
  return slice(from, to, min, max, range[3] === undefined ? 1 : Number(range[3]), part);
}

/** Celery's `values[::step]` of `from-to` (wrapping past `max` when `to < from`) as a list. */
function slice(
  from: number,
  to: number,
  min: number,
  max: number,
  step: number,
  part: string,
): string {
  if (!(step >= 1)) return part;
  const values: number[] = [];
  if (to >= from) for (let v = from; v <= to; v++) values.push(v);
  else {
    for (let v = from; v <= max; v++) values.push(v);
    for (let v = min; v <= to; v++) values.push(v);
  }
  return values.filter((_, i) => i % step === 0).join(',');
}

/** `sunday` -> `sun` (as Celery reads day names); other words are left for croner to refuse. */
function shortDayName(word: string): string {
  const short = word.slice(0, 3).toLowerCase();
  return WEEKDAYS.includes(short) ? short : word;
}

function valueOf(token: string, kind: number): number | null {
  if (/^\d+$/.test(token)) return Number(token);
  const name = token.toLowerCase();
  const names = kind === DAY_OF_WEEK ? WEEKDAYS : kind === 3 ? MONTHS : [];
  const index = names.indexOf(name);
  if (index < 0) return null;
  return kind === DAY_OF_WEEK ? index : index + 1;
}
