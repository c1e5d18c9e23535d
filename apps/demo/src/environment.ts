/**
 * The environment variables the demo and its worker entry (`worker.main.ts`) read, for documentation and for the
 * start-up line that says which ones were set.
 */
export const DEMO_ENVIRONMENT = {
  CELERIAC_BROKER: 'broker URL (default memory://)',
  CELERIAC_RESULT_BACKEND: 'result backend URL or "typeorm" (default memory://)',
  CELERIAC_QUEUES: 'queues to consume, comma separated (default celery,notifications)',
  CELERIAC_CONCURRENCY: 'tasks that run at once (default 8)',
  CELERIAC_HOSTNAME: 'Celery node name (default demo@%h)',
  CELERIAC_SHUTDOWN_TIMEOUT:
    'ms running tasks get to finish on SIGTERM before requeue (default 10000)',
  CELERIAC_DISPATCH: '"outbox" for the transactional outbox (default after-commit)',
  CELERIAC_WORKER: '"0": producer-only API process (demo only; worker.main always consumes)',
  CELERIAC_HTTP_PORT:
    'port of the health and metrics server (worker.http: /health/live, /health/ready, /metrics); unset: none',
  CELERIAC_HTTP_HOST: 'listen address of that server (default 0.0.0.0)',
  CELERIAC_BEAT:
    '"0": this process does not compete for beat leadership (run `celeriac beat` instead; default on)',
  CELERIAC_BEAT_STORE: "beat schedule store URL (default: the broker's Redis, else memory)",
  DATABASE_URL: 'PostgreSQL URL (default: embedded SQLite in memory)',
  PORT: 'HTTP port of the demo (default 3000)',
  HOST: 'HTTP listen address of the demo (default 127.0.0.1; the container image sets 0.0.0.0)',
  CELERIAC_TASK_EVENTS: '"1": send task events (the dashboard shows Node tasks then; default off)',
  DASHBOARD_TOKEN: 'admin token of the dashboard at /celeriac (default: random, printed at start)',
  DASHBOARD_READONLY_TOKEN: 'token of read-only dashboard users (default: none)',
  DEMO_SAMPLES: '"0": do not place the sample orders at start (demo only)',
} as const;

export type DemoVariable = keyof typeof DEMO_ENVIRONMENT;

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
