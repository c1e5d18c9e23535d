import { type Job, Worker } from 'bullmq';
import { redisConnection } from '../redis-url.js';
import { runWorkerChild } from './worker-harness.js';

/** `add` jobs carry `{x, y}`; the sum is returned (and kept, with the job). */
const processors = {
  noop: async (): Promise<null> => null,
  add: async (job: Job<{ x: number; y: number }>): Promise<number> => job.data.x + job.data.y,
};

/**
 * BullMQ worker child: one Worker, `autorun: false` until `start`, default job options
 * (completed jobs and their return values are kept in Redis).
 */
void runWorkerChild(async (config, completed) => {
  const worker = new Worker(config.queue, processors[config.workload], {
    connection: redisConnection(config.brokerUrl),
    prefix: config.prefix,
    concurrency: config.concurrency,
    autorun: false,
  });
  worker.on('completed', (job) => completed(String(job.id)));
  worker.on('error', (error) => console.error(`[bullmq worker] ${error.message}`));
  await worker.waitUntilReady();
  return {
    start: async () => {
      void worker.run();
    },
    stop: () => worker.close(),
  };
});
