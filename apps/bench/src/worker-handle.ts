/** What the measurer reads at the end of a scenario. */
export interface DoneInfo {
  count: number;
  /** When the worker was told to start (wall ms); 0 when unknown (Celery). */
  startedAt: number;
  firstAt: number;
  lastAt: number;
  /** `[taskId, completedAt]` when tracking was asked for. */
  times: [string, number][];
}

/** Resources a worker process used. */
export interface WorkerUsage {
  peakRssMb: number;
  cpuSeconds: number;
  /** Of `cpuSeconds`, the main thread's (Node workers only). */
  mainThreadCpuSeconds?: number;
}

/** A worker under test running in its own process (or process tree). */
export interface WorkerHandle {
  /** Consume (if not yet) and count completions from now; resolves when it consumes. */
  start(expect: number, track: boolean): Promise<void>;
  /** Resolve once `expect` completions were recorded; rejects after `timeoutMs`. */
  waitDone(timeoutMs: number): Promise<DoneInfo>;
  usage(): WorkerUsage;
  stop(): Promise<void>;
}

/** Progress lines while waiting: at most one a second. */
export function progressPrinter(label: string, total: number): (count: number) => void {
  let last = 0;
  return (count) => {
    const now = Date.now();
    if (now - last < 1000) return;
    last = now;
    console.log(`    ${label}: ${count}${total ? `/${total}` : ''} done`);
  };
}

/** Sleep `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
