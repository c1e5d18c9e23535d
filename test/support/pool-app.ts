import type { INestApplicationContext } from '@nestjs/common';
import {
  type AsyncResult,
  TaskClient,
  TaskEvents,
  type TaskQueueOptions,
  type WorkerOptions,
} from 'celeriac';
import { randomUUID } from 'node:crypto';
import { filter, firstValueFrom } from 'rxjs';
import { POOLS_MODULE } from './interop-build.js';
import { REDIS_URL } from './redis-test-server.js';

type IsolateOptions = NonNullable<WorkerOptions['isolates']>;

/**
 * Module options of an app whose worker runs apps/pools' isolates, on the shared Redis and a
 * new queue. The isolates read the broker and the queue from POOLS_BROKER / POOLS_QUEUE, set here.
 */
export function poolAppOptions(
  worker: Partial<WorkerOptions>,
  isolates: Partial<IsolateOptions>,
): { queue: string; options: TaskQueueOptions } {
  const queue = `pools-${randomUUID()}`;
  process.env.POOLS_BROKER = REDIS_URL;
  process.env.POOLS_QUEUE = queue;
  return {
    queue,
    options: {
      broker: REDIS_URL,
      resultBackend: REDIS_URL,
      defaultQueue: queue,
      resultExpires: 600,
      worker: {
        ...worker,
        isolates: { module: POOLS_MODULE, export: 'PoolIsolateModule', ...isolates },
      },
    },
  };
}

/**
 * Send `pools.spin_process` (a child process busy for `ms`) and resolve once it has started,
 * for the suites that break something while a pool child is busy.
 */
export async function spinStarted(app: INestApplicationContext, ms: number): Promise<AsyncResult> {
  const started = firstValueFrom(
    app
      .get(TaskEvents)
      .on('task-started')
      .pipe(filter((e) => e.name === 'pools.spin_process')),
  );
  const busy = await app.get(TaskClient).send('pools.spin_process', [ms]);
  await started;
  return busy;
}
