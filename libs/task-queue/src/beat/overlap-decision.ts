import type { ScheduleDefinition } from '../contracts/schedule-store.interface.js';
import type { TaskOptions } from '../contracts/task-options.interface.js';
import { isReadyState } from '../results/task-states.js';

/** Wait for an unfinished previous run at most this long when nothing better is known (1 h). */
export const DEFAULT_OVERLAP_TIMEOUT_S = 3600;

/**
 * What overlap `skip` makes of the previous run:
 * - `finished`: a ready state (SUCCESS, FAILURE, REVOKED): fire;
 * - `running`: not ready (PENDING, RECEIVED, STARTED, RETRY, a custom state) and published less
 *   than the overlap timeout ago: skip this fire;
 * - `timed-out`: not ready after the timeout: counted as finished, fire (and warn);
 * - `unknown`: no state could be read (no result backend, or it failed): fire.
 */
export type PreviousRun = 'finished' | 'running' | 'timed-out' | 'unknown';

export interface PreviousRunInput {
  /** The previous run's stored state; null when it could not be read. */
  state: string | null;
  /** When the previous run was published (epoch ms); null when unknown. */
  publishedAt: number | null;
  now: number;
  timeoutMs: number;
}

export function judgePreviousRun(input: PreviousRunInput): PreviousRun {
  if (input.state === null) return 'unknown';
  if (isReadyState(input.state)) return 'finished';
  if (input.publishedAt === null) return 'timed-out';
  return input.now - input.publishedAt >= input.timeoutMs ? 'timed-out' : 'running';
}

/**
 * Seconds an unfinished previous run blocks the next fire: the schedule's `overlapTimeout`,
 * else the hard time limit of the task when this process knows it, else one hour.
 */
export function overlapTimeoutSeconds(
  definition: Pick<ScheduleDefinition, 'overlapTimeout'>,
  task: TaskOptions | undefined,
): number {
  return definition.overlapTimeout ?? task?.timeLimit ?? DEFAULT_OVERLAP_TIMEOUT_S;
}

/**
 * Why overlap `skip` cannot work for `definition` here (its previous run would never look
 * finished), or null. `task` is the task's effective options when it is a local `@Task`.
 */
export function overlapMisconfiguration(
  definition: Pick<ScheduleDefinition, 'overlap' | 'task'>,
  task: TaskOptions | undefined,
  hasResultBackend: boolean,
): string | null {
  if (definition.overlap !== 'skip') return null;
  const fix = "use overlap 'allow' (the default)";
  if (!hasResultBackend) {
    return `overlap 'skip' needs a result backend to see the previous run finish; configure resultBackend or ${fix}.`;
  }
  if (task?.ignoreResult) {
    return `overlap 'skip' cannot see a run of "${definition.task}" finish: the task has ignoreResult; store its results or ${fix}.`;
  }
  return null;
}
