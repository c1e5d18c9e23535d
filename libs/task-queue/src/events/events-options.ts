/**
 * Options of Celery events (`worker-*` and `task-*` on the `celeryev` exchange).
 * @publicApi
 */
export interface CeleryEventsOptions {
  /** Send events while the worker runs (Celery `worker_send_task_events` + heartbeats). Default true. */
  enabled?: boolean;
  /** Seconds between `worker-heartbeat` events, reported as `freq`. Default 2 (Celery). */
  heartbeatInterval?: number;
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
    heartbeatInterval: typeof interval === 'number' && interval > 0 ? interval : 2,
  };
}
