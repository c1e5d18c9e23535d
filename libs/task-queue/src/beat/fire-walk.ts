import type { ScheduleDefinition } from '../contracts/schedule-store.interface.js';
import { nextFireAfter } from './schedule-spec.js';

/** Fires walked one by one before a walk jumps (or a count estimates from their spacing). */
const COUNT_WALK = 100;

/** Rounds of the search for where the newest fires start, before a plain capped walk. */
const SEARCH_ROUNDS = 64;

/** Fires walked at most when every search round failed (the old, plain cap). */
const LAST_RESORT_WALK = 100_000;

/** The newest due fires of a schedule, and how many older due ones were passed over. */
export interface NewestFires {
  /** The newest fires in `[first, now]`, at most `keep`, oldest first. */
  fires: number[];
  /** Fires in `[first, now]` not in `fires`. */
  before: number;
  /** The first fire after `now` (null: none). */
  next: number | null;
}

/**
 * The newest `keep` fires of `definition` in `[first, now]`, `first` being a fire. Bounded
 * work: after {@link COUNT_WALK} + `keep` fires it stops walking and searches (from their
 * mean spacing, then by bisection) for an instant close before `now` that leaves `keep` fires
 * or a few more, and counts the fires it jumped over with {@link countFires}. So a per-second
 * cron after a month of downtime costs a few hundred steps, not millions; the counts stay
 * exact for `every` schedules and for gaps of up to {@link COUNT_WALK} cron fires.
 */
export function newestFires(
  definition: ScheduleDefinition,
  first: number,
  now: number,
  keep: number,
): NewestFires {
  const head = walk(definition, first, now, keep + COUNT_WALK);
  if (head.next === null || head.next > now) return newest(head.fires, head.next, keep, 0);
  const lower = head.next; // the first fire not walked: fires in [lower, now] are unknown
  const walked = head.fires.length;
  const spacing = Math.max(1, (head.fires[walked - 1]! - first) / (walked - 1));
  const cap = 2 * keep + COUNT_WALK;
  let tooSmall = 0; // a span holding fewer than `keep` fires
  let tooLarge = Infinity; // a span holding more than `cap`
  let span = Math.max(spacing, 2 * keep * spacing);
  for (let round = 0; round < SEARCH_ROUNDS; round++) {
    const start = Math.max(lower, now - Math.round(span));
    const from = start === lower ? lower : nextFireAfter(definition, start - 1);
    const tail = walk(definition, from, now, cap);
    const reached = tail.next === null || tail.next > now;
    if (reached && (tail.fires.length >= keep || start === lower)) {
      const jumped = start === lower ? 0 : countFires(definition, lower, start);
      return newest(tail.fires, tail.next, keep, walked + jumped);
    }
    if (reached) tooSmall = span;
    else tooLarge = span;
    span = tooLarge === Infinity ? span * 4 : (tooSmall + tooLarge) / 2;
    if (tooLarge - tooSmall < 1) break;
  }
  const rest = walk(definition, lower, now, LAST_RESORT_WALK);
  return newest(rest.fires, rest.next, keep, walked);
}

/**
 * How many fires of `definition` lie in `[from, before)`, `from` being one: exact for an
 * `every` schedule (plain arithmetic), and for a cron schedule exact up to {@link COUNT_WALK}
 * fires, then estimated from the mean spacing of those (walking a cron is slow, and a long
 * outage of a per-second cron holds many thousands).
 */
export function countFires(definition: ScheduleDefinition, from: number, before: number): number {
  const { schedule, endAt } = definition;
  const end = endAt !== undefined ? Math.min(before, endAt + 1) : before;
  if (from >= end) return 0;
  if ('every' in schedule) return Math.ceil((end - from) / Math.round(schedule.every * 1000));
  let count = 1;
  let last = from;
  for (;;) {
    const next = nextFireAfter(definition, last);
    if (next === null || next >= end) return count;
    count++;
    last = next;
    if (count === COUNT_WALK) break;
  }
  const spacing = (last - from) / (count - 1);
  return count + Math.floor((end - 1 - last) / spacing);
}

function walk(
  definition: ScheduleDefinition,
  from: number | null,
  now: number,
  limit: number,
): { fires: number[]; next: number | null } {
  const fires: number[] = [];
  let t = from;
  while (t !== null && t <= now && fires.length < limit) {
    fires.push(t);
    t = nextFireAfter(definition, t);
  }
  return { fires, next: t };
}

function newest(fires: number[], next: number | null, keep: number, before: number): NewestFires {
  const kept = fires.slice(-keep);
  return { fires: kept, before: before + fires.length - kept.length, next };
}
