import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ISOLATE_ENV, ISOLATE_WORKER_DATA } from '../../utils/isolate-role.js';
import type { FromIsolate, IsolateInit, ToIsolate } from './isolate-protocol.js';

/** Environment variable holding a process isolate's boot data (JSON). */
export const ISOLATE_INIT_ENV = 'CELERIAC_ISOLATE_INIT';

/** One running isolate, thread or process, as the pool drives it. */
export interface IsolateHandle {
  /** Thread id or process id (what `inspect` shows). */
  readonly id: number;
  send(message: ToIsolate): void;
  /** Stop it now: `worker.terminate()` or SIGKILL. */
  kill(): void;
}

export interface IsolateEvents {
  message(message: FromIsolate): void;
  /** It is gone; `detail` says how (exit code, signal, uncaught error). */
  exit(detail: string): void;
}

export interface IsolateSpawnOptions {
  entry: URL;
  init: IsolateInit;
  maxHeapMb?: number;
}

/** A worker_threads isolate; `resourceLimits` caps its heap (it dies alone when over). */
export function spawnThread(options: IsolateSpawnOptions, on: IsolateEvents): IsolateHandle {
  const worker = new Worker(options.entry, {
    workerData: { [ISOLATE_WORKER_DATA]: options.init },
    execArgv: [],
    ...(options.maxHeapMb ? { resourceLimits: { maxOldGenerationSizeMb: options.maxHeapMb } } : {}),
  });
  let failure: string | undefined;
  worker.on('message', (message: FromIsolate) => on.message(message));
  worker.on('error', (error: Error & { code?: string }) => {
    failure = error.code ? `${error.code}: ${error.message}` : `${error.name}: ${error.message}`;
  });
  worker.on('exit', (code) => on.exit(failure ?? `thread exited with code ${code}`));
  return {
    id: worker.threadId,
    send: (message) => worker.postMessage(message),
    kill: () => void worker.terminate(),
  };
}

/** A forked child-process isolate (structured-clone IPC); SIGKILL stops it. */
export function spawnProcess(options: IsolateSpawnOptions, on: IsolateEvents): IsolateHandle {
  const child = fork(fileURLToPath(options.entry), [], {
    serialization: 'advanced',
    execArgv: options.maxHeapMb ? [`--max-old-space-size=${options.maxHeapMb}`] : [],
    env: { ...process.env, [ISOLATE_ENV]: '1', [ISOLATE_INIT_ENV]: JSON.stringify(options.init) },
  });
  let fatal: string | undefined;
  child.on('message', (message: FromIsolate) => {
    if (message.k === 'fatal') fatal = `${message.error.name}: ${message.error.message}`;
    else on.message(message);
  });
  child.on('error', () => undefined);
  child.on('exit', (code, signal) => on.exit(processExit(code, signal, fatal, options.maxHeapMb)));
  return {
    id: child.pid ?? -1,
    send: (message) => {
      if (child.connected) child.send(message);
    },
    kill: () => void child.kill('SIGKILL'),
  };
}

/** How a child process ended, for its tasks' WorkerLostError and the worker's log. */
function processExit(
  code: number | null,
  signal: NodeJS.Signals | null,
  fatal: string | undefined,
  maxHeapMb: number | undefined,
): string {
  const how = signal ? `process killed by ${signal}` : `process exited with code ${code}`;
  if (fatal) return `${how} after an uncaught ${fatal}`;
  // V8 aborts the process when its heap is over --max-old-space-size.
  if (signal === 'SIGABRT' && maxHeapMb)
    return `${how}, most likely out of memory (maxHeapMb: ${maxHeapMb})`;
  return how;
}
