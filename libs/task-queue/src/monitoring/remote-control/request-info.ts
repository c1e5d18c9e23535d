import { pyRepr, pyTupleRepr } from '../../protocol/python-repr.js';
import type { HeldRequest } from '../../worker/worker.service.js';

/** A request as `inspect active / reserved / scheduled` describe it (docs/protocol.md#control-commands). */
export interface RequestInfo {
  id: string;
  name: string;
  /** The arguments; with `safe`, the message's `argsrepr` / `kwargsrepr` strings instead. */
  args: unknown[] | string;
  kwargs: Record<string, unknown> | string;
  type: string;
  hostname: string;
  time_start: number | null;
  acknowledged: boolean;
  delivery_info: {
    exchange: string;
    routing_key: string;
    priority: number;
    redelivered: boolean;
  };
  worker_pid: number | null;
}

/**
 * Celery's request info of a task on this worker; `active` requests get `time_start` and the
 * pid. `safe` (Celery's `inspect().active(safe=True)`) shows the message's argsrepr / kwargsrepr,
 * which a producer may have masked, instead of the arguments.
 */
export function requestInfo(
  request: HeldRequest,
  hostname: string,
  state: 'active' | 'reserved' | 'scheduled',
  /** The isolate (thread id or pid) running an active request in a pool. */
  isolate?: number,
  safe = false,
): RequestInfo {
  const delivery = request.deliveryInfo;
  return {
    id: request.id,
    name: request.name,
    args: safe ? reprHeader(request, 'argsrepr', () => pyTupleRepr(request.args)) : request.args,
    kwargs: safe ? reprHeader(request, 'kwargsrepr', () => pyRepr(request.kwargs)) : request.kwargs,
    type: request.name,
    hostname,
    time_start: state === 'active' ? (request.startedAt ?? Date.now()) / 1000 : null,
    acknowledged: state === 'active',
    delivery_info: {
      exchange: delivery.exchange,
      routing_key: delivery.routingKey,
      priority: delivery.priority,
      redelivered: delivery.redelivered,
    },
    worker_pid: state === 'active' ? (isolate ?? process.pid) : null,
  };
}

/** The message's `argsrepr` / `kwargsrepr` header; a protocol v1 message has none: Celery's saferepr. */
function reprHeader(request: HeldRequest, name: string, fallback: () => string): string {
  const value = request.headers[name];
  return typeof value === 'string' ? value : fallback();
}
