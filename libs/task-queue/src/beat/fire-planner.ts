import type {
  ScheduleDefinition,
  ScheduleState,
  StoredScheduleSpec,
} from '../contracts/schedule-store.interface.js';
import { nextFireAfter } from './schedule-spec.js';

/** Defaults of {@link CatchUpPolicy}. */
export const DEFAULT_CATCH_UP = { window: 60, policy: 'all', max: 100 } as const;

/** Fires that are late by less than this are on time (a normal tick), not missed. */
const ON_TIME_MS = 1000;

/** What a leader does for one due schedule now. */
export interface FirePlan {
  /** Scheduled instants to publish, oldest first. */
  fires: number[];
  /** The next scheduled instant after them (null: finished). */
  next: number | null;
  /** Fires passed over (outside the catch-up window, or dropped by the policy or cap). */
  skipped: number;
}

/**
 * The fires of `definition` due at `now`, after the catch-up policy:
 * - fires older than `catchUp.window` seconds are skipped;
 * - `all` publishes every fire left (the newest `max` of them), `once` only the newest, `skip`
 *   only a fire late by less than a second (a normal tick);
 * - a clocked (`at`) schedule fires once whenever it is due; `maxRuns` and `endAt` end it.
 */
export function planFires(
  definition: ScheduleDefinition,
  state: ScheduleState,
  now: number,
): FirePlan {
  let t = state.nextFireAt;
  if (t === null || t > now) return { fires: [], next: t, skipped: 0 };
  if ('at' in definition.schedule) {
    return limitRuns(definition, state, { fires: [t], next: null, skipped: 0 });
  }
  const catchUp = { ...DEFAULT_CATCH_UP, ...definition.catchUp };
  const oldest = now - catchUp.window * 1000;
  let skipped = 0;
  if (t < oldest) {
    // Do not walk a long outage fire by fire: restart the walk at the window's start.
    skipped = countFires(definition, t, oldest);
    t = nextFireAfter(definition, oldest - 1);
  }
  const due: number[] = [];
  while (t !== null && t <= now && due.length < 100_000) {
    due.push(t);
    t = nextFireAfter(definition, t);
  }
  let fires: number[];
  if (catchUp.policy === 'all') fires = due.slice(-Math.max(1, catchUp.max));
  else if (catchUp.policy === 'once') fires = due.slice(-1);
  else fires = due.slice(-1).filter((fire) => now - fire < ON_TIME_MS);
  skipped += due.length - fires.length;
  return limitRuns(definition, state, { fires, next: t, skipped });
}

/** Cron fires walked one by one when counting skipped fires; beyond, their spacing is used. */
const COUNT_WALK = 100;

/**
 * How many fires of `definition` lie in `[from, before)`, `from` being one: exact for an
 * `every` schedule (plain arithmetic), and for a cron schedule exact up to {@link COUNT_WALK}
 * fires, then estimated from the mean spacing of those (walking a cron is slow, and a long
 * outage of a per-second cron holds many thousands).
 */
function countFires(definition: ScheduleDefinition, from: number, before: number): number {
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

function limitRuns(definition: ScheduleDefinition, state: ScheduleState, plan: FirePlan): FirePlan {
  if (definition.maxRuns === undefined) return plan;
  const left = Math.max(0, definition.maxRuns - state.totalRuns);
  if (plan.fires.length < left) return plan;
  return {
    fires: plan.fires.slice(0, left),
    next: null,
    skipped: plan.skipped + plan.fires.length - Math.min(left, plan.fires.length),
  };
}

/**
 * The state of a new (or edited, or resumed) schedule: its first fire after `now`. A clocked
 * (`at`) schedule that already ran stays finished, unless `previousSchedule` (the spec it ran
 * with) shows it was given a new instant.
 */
export function freshState(
  definition: ScheduleDefinition,
  now: number,
  previous?: ScheduleState,
  previousSchedule?: StoredScheduleSpec,
): ScheduleState {
  const runs = previous?.totalRuns ?? 0;
  const { schedule } = definition;
  const sameInstant =
    !previousSchedule ||
    ('at' in schedule && 'at' in previousSchedule && schedule.at === previousSchedule.at);
  const exhausted =
    (definition.maxRuns !== undefined && runs >= definition.maxRuns) ||
    ('at' in schedule && runs > 0 && previous?.nextFireAt === null && sameInstant);
  const next =
    !definition.enabled || exhausted
      ? null
      : 'at' in definition.schedule
        ? definition.schedule.at
        : nextFireAfter(definition, now);
  return {
    nextFireAt: next,
    lastRunAt: previous?.lastRunAt ?? null,
    lastTaskId: previous?.lastTaskId ?? null,
    totalRuns: previous?.totalRuns ?? 0,
    rev: (previous?.rev ?? 0) + 1,
  };
}
