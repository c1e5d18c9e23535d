import type { ResolvedTaskQueueOptions } from '../config/resolved-options.js';
import { maskUrl } from '../utils/mask-url.js';

/** The start-up banner, like Celery's: what this worker is, where it reads, what it runs. */
export function workerBanner(
  config: ResolvedTaskQueueOptions,
  details: {
    hostname: string;
    broker: string;
    backend: string;
    /** Each task with the queue it is sent to by default (task option, route or defaultQueue). */
    tasks: { name: string; queue: string }[];
    queues: string[];
  },
): string {
  const w = config.worker;
  const lines = [
    `celeriac worker ${details.hostname} ready.`,
    `  transport:   ${maskUrl(details.broker)}`,
    `  results:     ${maskUrl(details.backend)}`,
    `  concurrency: ${w.concurrency} (prefetch ${w.concurrency * w.prefetch} messages)`,
    `  queues:      ${details.queues.join(', ')}`,
    `  tasks (${details.tasks.length}):`,
    ...details.tasks.map(({ name, queue }) =>
      details.queues.includes(queue) || name.startsWith('celery.')
        ? `    . ${name}`
        : `    . ${name} (sent to queue "${queue}", which this worker does not consume: ` +
          `add it to worker.queues, or run a worker that does)`,
    ),
  ];
  return lines.join('\n');
}
