import type { TaskQueueOptions } from 'celeriac';
import type { DataSource } from 'typeorm';

/**
 * Celeriac settings from the environment, embedded defaults otherwise:
 * CELERIAC_BROKER (memory://), CELERIAC_RESULT_BACKEND (memory://), CELERIAC_WORKER=0 for a
 * producer-only API process, CELERIAC_CONCURRENCY, CELERIAC_QUEUES (comma separated),
 * CELERIAC_DISPATCH=outbox for the transactional outbox, CELERIAC_SHUTDOWN_TIMEOUT (ms),
 * CELERIAC_HTTP_PORT / CELERIAC_HTTP_HOST for the health and metrics server (worker.http). `resultBackend: 'typeorm'` keeps
 * results in the demo's own database.
 */
export function taskQueueConfig(
  dataSource: DataSource,
  env: NodeJS.ProcessEnv = process.env,
): TaskQueueOptions {
  return {
    typeorm: {
      dataSource,
      dispatch: env.CELERIAC_DISPATCH === 'outbox' ? 'outbox' : 'after-commit',
    },
    broker: env.CELERIAC_BROKER ?? 'memory://',
    resultBackend: env.CELERIAC_RESULT_BACKEND ?? 'memory://',
    events: { taskEvents: env.CELERIAC_TASK_EVENTS === '1' },
    routes: { 'notifications.*': { queue: 'notifications' } },
    worker: {
      enabled: env.CELERIAC_WORKER !== '0',
      queues: env.CELERIAC_QUEUES?.split(',') ?? ['celery', 'notifications'],
      concurrency: Number(env.CELERIAC_CONCURRENCY ?? 8),
      hostname: env.CELERIAC_HOSTNAME ?? 'demo@%h',
      shutdownTimeout: Number(env.CELERIAC_SHUTDOWN_TIMEOUT ?? 10_000),
      ...(env.CELERIAC_HTTP_PORT && {
        http: { port: Number(env.CELERIAC_HTTP_PORT), host: env.CELERIAC_HTTP_HOST ?? '0.0.0.0' },
      }),
    },
  };
}
