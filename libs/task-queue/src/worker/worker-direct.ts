import type { Broker } from '../contracts/broker.interface.js';

/** Celery's WORKER_DIRECT_EXCHANGE (celery/utils/nodenames.py): a durable direct exchange. */
export const WORKER_DIRECT_EXCHANGE = 'C.dq2';

/** Celery's `worker_direct(hostname)` queue name: `<hostname>.dq2`. */
export function workerDirectQueue(hostname: string): string {
  return `${hostname}.dq2`;
}

/**
 * The queues a worker consumes with Celery's `worker_direct` on: `queues` and
 * `<hostname>.dq2`, bound to `C.dq2` with the hostname as key. Unchanged when `direct` is off.
 */
export async function withWorkerDirect(
  broker: Broker,
  direct: boolean,
  hostname: string,
  queues: string[],
): Promise<string[]> {
  if (!direct) return queues;
  const queue = workerDirectQueue(hostname);
  await broker.bindDirect?.(queue, WORKER_DIRECT_EXCHANGE, hostname);
  return queues.includes(queue) ? queues : [...queues, queue];
}
