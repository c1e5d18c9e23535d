import type { Job } from 'bullmq';
import { burn } from './burn.js';

/** BullMQ sandboxed processor of the pool bench (a file, run in a child process or a thread). */
export default async function processor(job: Job<{ units: number }>): Promise<number | null> {
  return job.data.units ? burn(job.data.units) : null;
}
