import type {
  CatchUpPolicy,
  PendingFire,
  ScheduleClaim,
  StoredSchedule,
} from '../contracts/schedule-store.interface.js';
import type { BeatEvents } from './beat-events.js';
import { planFires } from './fire-planner.js';
import type { OverlapGuard } from './overlap-guard.js';
import { beatTaskId } from './task-id.js';

/**
 * The claims of the due schedules still tracked (`undefined`: dropped meanwhile), in order. A
 * schedule that cannot be planned (a stored row no validation saw: a bad cron expression or
 * zone) is handed to `unplannable` and left out; the others are claimed as usual.
 */
export async function buildClaims(
  schedules: readonly (StoredSchedule | undefined)[],
  now: number,
  defaultCatchUp: CatchUpPolicy | undefined,
  overlap: Pick<OverlapGuard, 'blocks'>,
  events: BeatEvents,
  unplannable: (stored: StoredSchedule, error: unknown) => void,
): Promise<ScheduleClaim[]> {
  const claims: ScheduleClaim[] = [];
  for (const stored of schedules) {
    if (!stored) continue;
    let claim: ScheduleClaim | null;
    try {
      claim = await buildClaim(stored, now, defaultCatchUp, overlap, events);
    } catch (error) {
      unplannable(stored, error);
      continue;
    }
    if (claim) claims.push(claim);
  }
  return claims;
}

/**
 * The leader's claim for one due schedule at `now`: its fires after the catch-up and overlap
 * policies (skips reported as events; overlap `skip` sends at most the newest of fires due
 * together), each with its deterministic task id, and the state that
 * follows. Null when the schedule is disabled.
 */
export async function buildClaim(
  stored: StoredSchedule,
  now: number,
  defaultCatchUp: CatchUpPolicy | undefined,
  overlap: Pick<OverlapGuard, 'blocks'>,
  events: BeatEvents,
): Promise<ScheduleClaim | null> {
  const { definition, state } = stored;
  if (!definition.enabled) return null;
  const name = definition.name;
  const catchUp = { ...defaultCatchUp, ...definition.catchUp };
  const plan = planFires({ ...definition, catchUp }, state, now);
  let fires = plan.fires;
  const expired = plan.expired ?? 0;
  if (plan.skipped > expired) {
    events.emit({ type: 'skipped', name, count: plan.skipped - expired, reason: 'catch-up' });
  }
  if (expired) events.emit({ type: 'skipped', name, count: expired, reason: 'expired' });
  if (fires.length && (await overlap.blocks(stored, fires.length, now))) fires = [];
  if (definition.overlap === 'skip' && fires.length > 1) {
    // Fires that came due together (a late tick, catch-up 'all') would all run at once.
    events.emit({ type: 'skipped', name, count: fires.length - 1, reason: 'overlap' });
    fires = fires.slice(-1);
  }
  const pending: PendingFire[] = fires.map((scheduledAt) => ({
    name,
    taskId: beatTaskId(name, scheduledAt),
    scheduledAt,
  }));
  const last = pending[pending.length - 1];
  return {
    name,
    rev: state.rev,
    fires: pending,
    state: {
      nextFireAt: plan.next,
      lastRunAt: last ? now : state.lastRunAt,
      lastTaskId: last ? last.taskId : state.lastTaskId,
      totalRuns: state.totalRuns + pending.length,
      rev: state.rev + 1,
    },
  };
}
