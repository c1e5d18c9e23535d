import type {
  ScheduleDefinition,
  ScheduleState,
  StoredScheduleSpec,
} from '../contracts/schedule-store.interface.js';
import { countFires, newestFires } from './fire-walk.js';
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
  /** Fires passed over (outside the catch-up window, expired, or dropped by the policy or cap). */
  skipped: number;
  /** Of `skipped`: fires inside the window not sent because their `expires` had passed. */
  expired?: number;
}

/**
 * The fires of `definition` due at `now`, after the catch-up policy:
 * - fires older than `catchUp.window` seconds are skipped, and so are fires whose `expires`
 *   has passed (a worker would only discard them);
 * - `all` publishes every fire left (the newest `max` of them), `once` only the newest, `skip`
 *   only a fire late by less than a second (a normal tick);
 * - a clocked (`at`) schedule fires once whenever it is due (unless expired); `maxRuns` and
 *   `endAt` end it.
 * The work is bounded whatever the outage: missed fires are counted, not walked one by one.
 */
export function planFires(
  definition: ScheduleDefinition,
  state: ScheduleState,
  now: number,
): FirePlan {
  let t = state.nextFireAt;
  if (t === null || t > now) return { fires: [], next: t, skipped: 0 };
  const expiredBefore =
    definition.expires === undefined ? -Infinity : now - definition.expires * 1000 + 1;
  if ('at' in definition.schedule) {
    if (t < expiredBefore) return { fires: [], next: null, skipped: 1, expired: 1 };
    return limitRuns(definition, state, { fires: [t], next: null, skipped: 0 });
  }
  const catchUp = { ...DEFAULT_CATCH_UP, ...definition.catchUp };
  const oldest = now - catchUp.window * 1000;
  const start = Math.max(oldest, expiredBefore);
  let skipped = 0;
  let expired = 0;
  if (t < start) {
    // Do not walk a long outage fire by fire: count it, and restart at the oldest fire kept.
    skipped = countFires(definition, t, start);
    if (expiredBefore > oldest) expired = skipped - countFires(definition, t, oldest);
    t = nextFireAfter(definition, start - 1);
    if (t === null || t > now) return limitRuns(definition, state, plan([], t, skipped, expired));
  }
  const keep = catchUp.policy === 'all' ? Math.max(1, catchUp.max) : 1;
  const due = newestFires(definition, t, now, keep);
  let fires = due.fires;
  if (catchUp.policy === 'skip') fires = fires.filter((fire) => now - fire < ON_TIME_MS);
  skipped += due.before + due.fires.length - fires.length;
  return limitRuns(definition, state, plan(fires, due.next, skipped, expired));
}

function plan(fires: number[], next: number | null, skipped: number, expired: number): FirePlan {
  return expired ? { fires, next, skipped, expired } : { fires, next, skipped };
}

function limitRuns(definition: ScheduleDefinition, state: ScheduleState, plan: FirePlan): FirePlan {
  if (definition.maxRuns === undefined) return plan;
  const left = Math.max(0, definition.maxRuns - state.totalRuns);
  if (plan.fires.length < left) return plan;
  return {
    ...plan,
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
        : // Never back onto a fire already claimed (lastRunAt is the claim's instant, a
          // little ahead of the fire; another instance's clock may be ahead of this one).
          nextFireAfter(definition, Math.max(now, previous?.lastRunAt ?? now));
  return {
    nextFireAt: next,
    lastRunAt: previous?.lastRunAt ?? null,
    lastTaskId: previous?.lastTaskId ?? null,
    totalRuns: previous?.totalRuns ?? 0,
    rev: (previous?.rev ?? 0) + 1,
  };
}
