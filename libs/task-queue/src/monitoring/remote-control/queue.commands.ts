import type { WorkerService } from '../../worker/worker.service.js';

/**
 * Celery's `add_consumer` (`celery control add_consumer <queue>`): the worker consumes `queue`
 * too, until it stops or `cancel_consumer`. The queue is declared as Celeriac declares its
 * queues (exchange and routing key named after it); other exchange arguments are not used.
 */
export async function addConsumer(
  worker: WorkerService,
  args: Record<string, unknown>,
): Promise<unknown> {
  const queue = typeof args.queue === 'string' ? args.queue.trim() : '';
  if (!queue) return { error: 'add_consumer: no queue given' };
  const added = await worker.addQueue(queue);
  return { ok: added ? `add consumer ${queue}` : `already consuming from ${queue}` };
}

/**
 * Celery's `cancel_consumer`: stop consuming a queue added by `add_consumer`. A queue of the
 * worker's configuration (`worker.queues`) is refused with what to do: it needs a restart.
 */
export async function cancelConsumer(
  worker: WorkerService,
  args: Record<string, unknown>,
): Promise<unknown> {
  const queue = typeof args.queue === 'string' ? args.queue.trim() : '';
  if (!queue) return { error: 'cancel_consumer: no queue given' };
  const outcome = await worker.cancelQueue(queue);
  if (outcome === 'configured') {
    return {
      error:
        `cancel_consumer is not supported for ${queue}, a queue of worker.queues: ` +
        'remove it from worker.queues and restart the worker.',
    };
  }
  return { ok: `no longer consuming from ${queue}` };
}
