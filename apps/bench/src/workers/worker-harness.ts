import {
  type ChildMessage,
  type ParentMessage,
  type StartMessage,
  wallNow,
  type WorkerChildConfig,
} from '../ipc.js';

/** What a worker child adapts: the system under test behind a start / stop pair. */
export interface BenchWorker {
  /** Begin consuming; called once. */
  start(): Promise<void>;
  /** Close connections (called before exit). */
  stop(): Promise<void>;
}

/** Builds the worker; `completed(id)` must be called once the task's completion is recorded. */
export type BenchWorkerFactory = (
  config: WorkerChildConfig,
  completed: (id: string) => void,
) => Promise<BenchWorker>;

const PROGRESS_MS = 500;

/**
 * The IPC side of a worker child: counts completions, reports progress and the final
 * timestamps, and exits on `stop` (or when the parent goes away).
 */
export async function runWorkerChild(create: BenchWorkerFactory): Promise<void> {
  const send = (message: ChildMessage): void => void process.send?.(message);
  const config = JSON.parse(process.argv[2] ?? '{}') as WorkerChildConfig;
  let plan: StartMessage | null = null;
  let count = 0;
  let startedAt = 0;
  let firstAt = 0;
  let lastAt = 0;
  let times: [string, number][] = [];
  const completed = (id: string): void => {
    const at = wallNow();
    count++;
    if (count === 1) firstAt = at;
    lastAt = at;
    if (plan?.track) times.push([id, at]);
    if (plan && count === plan.expect) {
      send({ type: 'done', count, startedAt, firstAt, lastAt, times });
      times = [];
    }
  };
  const worker = await create(config, completed);
  let started = false;
  const progress = setInterval(() => plan && send({ type: 'progress', count }), PROGRESS_MS);
  progress.unref();
  process.on('disconnect', () => process.exit(0));
  process.on('message', (raw: ParentMessage) => {
    void (async () => {
      try {
        if (raw.type === 'stop') {
          clearInterval(progress);
          await worker.stop();
          process.exit(0);
        }
        plan = raw;
        count = 0;
        times = [];
        startedAt = wallNow();
        if (!started) {
          started = true;
          await worker.start();
        }
        send({ type: 'started', at: startedAt });
      } catch (error) {
        send({ type: 'error', message: (error as Error).message });
      }
    })();
  });
  send({ type: 'ready' });
}
