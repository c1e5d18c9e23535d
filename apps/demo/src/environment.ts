/**
 * The environment variables the demo and its worker entry (`worker.main.ts`) read, for documentation and for the
 * start-up line that says which ones were set.
 */
/** Which entry reads a variable: the HTTP demo (`main.ts`), the worker entry, or both. */
export type ReadBy = 'demo' | 'worker' | 'both';

/**
 * The environment variables the demo and its worker entry (`worker.main.ts`) read, with which
 * entry reads each: for documentation (docs/getting-started.md lists them) and for the start-up
 * line that says which ones were set.
 */
export const DEMO_ENVIRONMENT = {
  CELERIAC_BROKER: { readBy: 'both', meaning: 'broker URL (default memory://)' },
  CELERIAC_RESULT_BACKEND: {
    readBy: 'both',
    meaning: 'result backend URL or "typeorm" (default memory://)',
  },
  CELERIAC_QUEUES: {
    readBy: 'both',
    meaning: 'queues to consume, comma separated (default celery,notifications)',
  },
  CELERIAC_CONCURRENCY: { readBy: 'both', meaning: 'tasks that run at once (default 8)' },
  CELERIAC_HOSTNAME: { readBy: 'both', meaning: 'Celery node name (default demo@%h)' },
  CELERIAC_SHUTDOWN_TIMEOUT: {
    readBy: 'both',
    meaning: 'ms running tasks get to finish on SIGTERM before requeue (default 10000)',
  },
  CELERIAC_DISPATCH: {
    readBy: 'both',
    meaning: '"outbox" for the transactional outbox (default after-commit)',
  },
  CELERIAC_WORKER: {
    readBy: 'demo',
    meaning: '"0": producer-only API process (demo only; worker.main always consumes)',
  },
  CELERIAC_HTTP_PORT: {
    readBy: 'both',
    meaning:
      'port of the health and metrics server (worker.http: /health/live, /health/ready, /metrics); unset: none',
  },
  CELERIAC_HTTP_HOST: {
    readBy: 'both',
    meaning: 'listen address of that server (default 0.0.0.0)',
  },
  CELERIAC_BEAT: {
    readBy: 'both',
    meaning:
      '"0": this process does not compete for beat leadership (run `celeriac beat` instead; default on)',
  },
  CELERIAC_BEAT_STORE: {
    readBy: 'both',
    meaning: "beat schedule store URL (default: the broker's Redis, else memory)",
  },
  CELERIAC_TASK_EVENTS: {
    readBy: 'both',
    meaning: '"1": send task events (the dashboard shows Node tasks then; default off)',
  },
  CELERIAC_LOG_FORMAT: {
    readBy: 'worker',
    meaning:
      '"json": one JSON object per line, task lines with taskId, taskName, queue (default text)',
  },
  DATABASE_URL: { readBy: 'both', meaning: 'PostgreSQL URL (default: embedded SQLite in memory)' },
  PORT: { readBy: 'demo', meaning: 'HTTP port of the demo (default 3000)' },
  HOST: {
    readBy: 'demo',
    meaning:
      'HTTP listen address of the demo (default 127.0.0.1; the container image sets 0.0.0.0)',
  },
  DASHBOARD_TOKEN: {
    readBy: 'demo',
    meaning: 'admin token of the dashboard at /celeriac (default: random, printed at start)',
  },
  DASHBOARD_READONLY_TOKEN: {
    readBy: 'demo',
    meaning: 'token of read-only dashboard users (default: none)',
  },
  DEMO_SAMPLES: {
    readBy: 'demo',
    meaning: '"0": do not place the sample orders at start (demo only)',
  },
} as const satisfies Record<string, { readBy: ReadBy; meaning: string }>;

export type DemoVariable = keyof typeof DEMO_ENVIRONMENT;

/** The variables the given entry reads, in table order. */
export function variablesReadBy(entry: 'demo' | 'worker'): DemoVariable[] {
  return (Object.keys(DEMO_ENVIRONMENT) as DemoVariable[]).filter((name) =>
    [entry, 'both'].includes(DEMO_ENVIRONMENT[name].readBy),
  );
}

/** Hide the password of a URL: `redis://:secret@host` → `redis://:**@host`. */
function masked(value: string): string {
  return value.replace(/(\/\/[^:/@]*:)[^@/]*@/, '$1**@');
}

/** One line naming the given variables that are set (credentials masked) and those that are not. */
export function describeEnvironment(
  names: readonly DemoVariable[],
  env: NodeJS.ProcessEnv = process.env,
): string {
  const set = names.filter((name) => env[name] !== undefined);
  const unset = names.filter((name) => env[name] === undefined);
  const parts = set.map((name) => `${name}=${masked(env[name]!)}`);
  return (
    `Environment: ${parts.length ? parts.join(' ') : 'no variable set'}` +
    (unset.length ? `; defaults for ${unset.join(', ')}` : '')
  );
}
