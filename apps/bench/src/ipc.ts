/** Messages between the bench parent (producer / measurer) and a worker child process. */

/** Parent → child: begin consuming (once) and report when `expect` completions were seen. */
export interface StartMessage {
  type: 'start';
  expect: number;
  /** Record the completion time of every task id (latency scenario). */
  track: boolean;
}

/** Parent → child: close the worker and exit. */
export interface StopMessage {
  type: 'stop';
}

export type ParentMessage = StartMessage | StopMessage;

/** Child → parent. Times are wall-clock milliseconds (`performance.timeOrigin + now()`). */
export type ChildMessage =
  | { type: 'ready' }
  | { type: 'started'; at: number }
  | { type: 'progress'; count: number }
  | {
      type: 'done';
      count: number;
      startedAt: number;
      firstAt: number;
      lastAt: number;
      /** `[taskId, completedAt]` pairs when tracking was asked for. */
      times: [string, number][];
    }
  | { type: 'error'; message: string };

/** High-resolution wall clock in ms, comparable across processes on one machine. */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

/** Options a worker child receives as its single JSON argv entry. */
export interface WorkerChildConfig {
  brokerUrl: string;
  /** Redis result backend URL, or null for none. */
  backendUrl: string | null;
  queue: string;
  concurrency: number;
  /** BullMQ key prefix. */
  prefix: string;
  /** What the tasks are (see {@link Workload}). */
  workload: Workload;
  /** Celeriac: send Celery task events (Celery's -E). */
  taskEvents: boolean;
  /** Celeriac: OpenTelemetry tracing on, every attempt sampled (an SDK with a batch processor). */
  tracing?: boolean;
  /** Celeriac: Prometheus metrics on (celeriac/prometheus), the registry scraped every second. */
  metrics?: boolean;
}

/**
 * `noop`: a no-op task with no arguments (`bench.noop`). `add`: what a mixed Python / Node
 * team runs, `interop.add(x, y)` of apps/interop with arguments and a stored, extended result
 * (BullMQ: data `{x, y}`, the sum returned and kept).
 */
export type Workload = 'noop' | 'add';
