import { isMainThread, workerData } from 'node:worker_threads';

/** Environment variable a process isolate is started with (set by the pool, never by users). */
export const ISOLATE_ENV = 'CELERIAC_ISOLATE';
/** Key of `workerData` a thread isolate is started with. */
export const ISOLATE_WORKER_DATA = 'celeriacIsolate';

/**
 * True inside a pool isolate (a worker thread or child process started by a `threads` /
 * `processes` pool). There the Nest context boots without consuming: the parent worker
 * consumes, and sends tasks in. Set by the pool when it starts the isolate, never by options.
 */
export function insideIsolate(): boolean {
  if (process.env[ISOLATE_ENV] === '1') return true;
  if (isMainThread) return false;
  const data: unknown = workerData;
  return typeof data === 'object' && data !== null && ISOLATE_WORKER_DATA in data;
}
