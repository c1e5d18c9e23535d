/**
 * Options of Celery events (`worker-*` and `task-*` on the `celeryev` exchange).
 * @publicApi
 */
export interface CeleryEventsOptions {
  /** Send events while the worker runs: worker-online / heartbeat / offline, and task events when `taskEvents`. Default true. */
  enabled?: boolean;
  /** Seconds between `worker-heartbeat` events, reported as `freq`. Default 2 (Celery). */
  heartbeatInterval?: number;
  /**
   * Also send `task-*` events (Celery's `-E` / `worker_send_task_events`); `false` keeps only
   * the worker events, which `celery status` needs. Switchable at runtime by the
   * `enable_events` / `disable_events` control commands. Default false, as Celery's (task
   * events cost about a third of the worker's CPU per task: turn them on when a monitor such as
   * Flower or `celery events` needs them).
   */
  taskEvents?: boolean;
}

/** {@link CeleryEventsOptions} with defaults filled in. */
export type ResolvedCeleryEventsOptions = Required<CeleryEventsOptions>;

/** Read `events` from any of the given option objects (first one that has it wins). */
export function resolveEventsOptions(...sources: unknown[]): ResolvedCeleryEventsOptions {
  const found = sources
    .map((source) =>
      typeof source === 'object' && source !== null && 'events' in source
        ? (source as { events?: unknown }).events
        : undefined,
    )
    .find((value) => typeof value === 'object' && value !== null) as
    CeleryEventsOptions | undefined;
  const interval = found?.heartbeatInterval;
  return {
    enabled: found?.enabled ?? true,
    taskEvents: found?.taskEvents ?? false,
    heartbeatInterval: typeof interval === 'number' && interval > 0 ? interval : 2,
  };
}
