import type {
  ScheduleDefinition,
  StoredSchedule,
  StoredScheduleSpec,
} from '../contracts/schedule-store.interface.js';

/** A schedule as `Schedules.list()` shows it. @publicApi */
export interface ScheduleInfo {
  name: string;
  task: string;
  schedule: StoredScheduleSpec;
  enabled: boolean;
  source: ScheduleDefinition['source'];
  /** Next scheduled instant (null: paused or finished). */
  nextFireAt: Date | null;
  lastRunAt: Date | null;
  lastTaskId: string | null;
  totalRuns: number;
  definition: ScheduleDefinition;
}

export function toInfo({ definition, state }: StoredSchedule): ScheduleInfo {
  const date = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));
  return {
    name: definition.name,
    task: definition.task,
    schedule: definition.schedule,
    enabled: definition.enabled,
    source: definition.source,
    nextFireAt: date(state.nextFireAt),
    lastRunAt: date(state.lastRunAt),
    lastTaskId: state.lastTaskId,
    totalRuns: state.totalRuns,
    definition,
  };
}
