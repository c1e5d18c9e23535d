import type { HeldRequest } from '../../worker/worker.service.js';

/** A request as `inspect active / reserved / scheduled` describe it (docs/protocol.md#control-commands). */
export interface RequestInfo {
  id: string;
  name: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
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

/** Celery's request info of a task on this worker; `active` requests get `time_start` and the pid. */
export function requestInfo(
  request: HeldRequest,
  hostname: string,
  state: 'active' | 'reserved' | 'scheduled',
  /** The isolate (thread id or pid) running an active request in a pool. */
  isolate?: number,
): RequestInfo {
  const delivery = request.deliveryInfo;
  return {
    id: request.id,
    name: request.name,
    args: request.args,
    kwargs: request.kwargs,
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
