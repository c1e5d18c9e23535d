import { WORKER_DIRECT_EXCHANGE, workerDirectQueue } from '../../worker/worker-direct.js';
import type { WorkerService } from '../../worker/worker.service.js';

/**
 * Celery's `add_consumer` (`celery control add_consumer <queue>`): the worker consumes `queue`
 * too, until it stops or `cancel_consumer`. The queue is declared as Celeriac declares its
 * queues (a direct exchange and routing key named after it). Celery's `exchange`,
 * `exchange_type` and `routing_key` arguments naming anything else are refused: the worker
 * cannot declare that binding, and tasks sent through it would be lost.
 */
export async function addConsumer(
  worker: WorkerService,
  args: Record<string, unknown>,
): Promise<unknown> {
  const queue = typeof args.queue === 'string' ? args.queue.trim() : '';
  if (!queue) return { error: 'add_consumer: no queue given' };
  const unsupported = unsupportedBinding(queue, args);
  if (unsupported) return { error: unsupported };
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

const given = (value: unknown): string | null =>
  typeof value === 'string' && value.trim() !== '' ? value.trim() : null;

/** Why Celery's binding arguments cannot be honoured, or null when they are the defaults. */
function unsupportedBinding(queue: string, args: Record<string, unknown>): string | null {
  const exchange = given(args.exchange) ?? queue;
  const type = given(args.exchange_type) ?? 'direct';
  const routingKey = given(args.routing_key) ?? queue;
  if (exchange === queue && type === 'direct' && routingKey === queue) return null;
  return (
    `add_consumer ${queue}: exchange ${exchange} (${type}) with routing key ${routingKey} is ` +
    `not supported by Celeriac workers, which bind a queue only to the direct exchange of its ` +
    `own name, with its name as routing key. Send the tasks to the queue (queue=${queue}), or ` +
    `bind the queue yourself (Celery's task_queues) and call add_consumer ${queue} alone.`
  );
}

/** Celery's `inspect active_queues`: each consumed queue as kombu describes a direct queue. */
export function activeQueues(worker: WorkerService, direct = false): unknown[] {
  // Celery's worker_direct queue is bound to C.dq2 with the hostname, not to its own name.
  const dq = direct ? workerDirectQueue(worker.hostname) : null;
  return worker.queues.map((name) => ({
    name,
    exchange: {
      name: name === dq ? WORKER_DIRECT_EXCHANGE : name,
      type: 'direct',
      arguments: null,
      durable: true,
      passive: false,
      auto_delete: false,
      delivery_mode: null,
      no_declare: false,
    },
    routing_key: name === dq ? worker.hostname : name,
    queue_arguments: null,
    binding_arguments: null,
    consumer_arguments: null,
    durable: true,
    exclusive: false,
    auto_delete: false,
    no_ack: false,
    alias: null,
    bindings: [],
    no_declare: null,
    expires: null,
    message_ttl: null,
    max_length: null,
    max_length_bytes: null,
    max_priority: null,
  }));
}
