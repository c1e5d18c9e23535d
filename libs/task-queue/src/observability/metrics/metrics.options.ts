import type { Registry } from 'prom-client';

/**
 * `TaskQueueMetricsModule.forRoot()` options (`celeriac/prometheus`). See
 * docs/metrics-and-health.md.
 * @publicApi
 */
export interface TaskQueueMetricsOptions {
  /** The registry to register on; default a new one (with the app's endpoint: pass yours). */
  registry?: Registry;
  /** Path of the `/metrics` controller in an HTTP app; `false`: no controller. Default `/metrics`. */
  path?: string | false;
  /**
   * Queues whose length, age, unacked, delayed and dead letters are exported (one broker round
   * trip per scrape for all). Default: the worker's queues, the default queue and the routed
   * ones. `[]`: no queue metrics (several processes exporting the same queues is fine: query
   * them with `max by (queue_name)`).
   */
  queues?: string[];
  /**
   * Where task counters come from: `local` (default) counts what this process sends and runs;
   * `events` counts the whole cluster from the Celery events stream (workers, Python ones
   * included, need task events on: `events.taskEvents` / `celery worker -E`); `false`: none.
   */
  tasks?: 'local' | 'events' | false;
  /**
   * Milliseconds a scrape waits for the broker's queue statistics (default 8000: under Prometheus' default 10 s `scrape_timeout`). Past it the
   * scrape answers without queue samples and with `celeriac_queue_stats_up 0`, so a broker that
   * hangs never makes the scrape outlast Prometheus' `scrape_timeout` (keep it below that).
   */
  queueStatsTimeout?: number;
  /**
   * Task names kept as the `name` label besides this app's `@Task()` names, e.g. the tasks of
   * Python workers this process sends. Others are learned once a worker starts one, up to
   * `maxTaskNames`; any other name is counted under `name="unknown"`.
   */
  taskNames?: string[];
  /** Task names learned from events (beyond this app's and `taskNames`). Default 500. */
  maxTaskNames?: number;
  /** prom-client's default process metrics (CPU, memory, event loop, GC). Default false. */
  defaultMetrics?: boolean;
  /** Buckets (seconds) of the runtime and queue-wait histograms. */
  buckets?: number[];
}

/** Default of {@link TaskQueueMetricsOptions.queueStatsTimeout}, in milliseconds. */
export const DEFAULT_QUEUE_STATS_TIMEOUT = 8_000;

/** Histogram buckets (seconds): 5 ms to 10 min. */
export const DEFAULT_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600,
];
