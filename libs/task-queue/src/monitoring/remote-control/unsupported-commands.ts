const RESTART = 'and restart the worker';

/**
 * Celery worker control commands a Celeriac worker does not implement, with what to do
 * instead. They are answered with this advice (an `error` reply) rather than Celery's
 * `KeyError` for an unknown command, so `celery control ...` tells the operator the way.
 */
const ADVICE: Record<string, string> = {
  pool_grow: `raise worker.concurrency ${RESTART}`,
  pool_shrink: `lower worker.concurrency ${RESTART}`,
  autoscale: `set worker.concurrency ${RESTART} (scale the number of workers instead)`,
  pool_restart: 'restart the worker (a rolling restart reloads the code)',
  election: 'Celeriac workers take no part in Celery elections',
  memdump: 'use the worker metrics (heap) or node --inspect instead',
  memsample: 'use the worker metrics (heap) or node --inspect instead',
  objgraph: 'use node --inspect and a heap snapshot instead',
};

/** The error reply for a Celery command Celeriac does not implement, or null when not one. */
export function unsupportedCommandError(method: string): string | null {
  const advice = Object.hasOwn(ADVICE, method) ? ADVICE[method] : undefined;
  return advice ? `${method} is not supported by Celeriac workers: ${advice}.` : null;
}
