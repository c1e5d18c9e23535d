import { parseArgs } from 'node:util';
import type { TaskQueueOptions } from 'celeriac';

const USAGE =
  'usage: npm run interop:worker -- --broker URL --backend URL --queues Q[,Q2] ' +
  '--hostname NAME@%h [--concurrency N] [--shutdown-timeout MS] [-E|--task-events] [--direct]';

/** Parse the interop worker's command line into module options; exits with usage on error. */
export function parseInteropArgs(argv: string[]): TaskQueueOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      broker: { type: 'string' },
      backend: { type: 'string' },
      queues: { type: 'string', default: 'celery' },
      hostname: { type: 'string', default: 'interop@%h' },
      concurrency: { type: 'string', default: '4' },
      'shutdown-timeout': { type: 'string', default: '5000' },
      // Celery's -E: send task-* events for monitors (off by default, as in Celery).
      'task-events': { type: 'boolean', short: 'E', default: false },
      // Celery's worker_direct: also consume <hostname>.dq2, bound to C.dq2.
      direct: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || !values.broker) {
    console.error(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  const queues = values.queues.split(',').filter(Boolean);
  return {
    broker: values.broker,
    resultBackend: values.backend ?? false,
    defaultQueue: queues[0],
    worker: {
      queues,
      hostname: values.hostname,
      concurrency: Number(values.concurrency),
      shutdownTimeout: Number(values['shutdown-timeout']),
      direct: values.direct,
    },
    events: { taskEvents: values['task-events'] },
  };
}
