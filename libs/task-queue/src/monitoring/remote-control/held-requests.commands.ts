import { toCeleryDate } from '../../protocol/json-codec.js';
import { parseTaskMessage } from '../../protocol/task-message.parser.js';
import type { HeldRequest } from '../../worker/worker-holdings.js';
import { requestInfo } from './request-info.js';
import type { ControlTargets } from './worker-control.commands.js';

// Celery's inspect commands that list the requests a worker holds: active, reserved,
// scheduled (with the ETAs parked in the broker) and query_task.

/** At most this many parked messages in an `inspect scheduled` reply. */
const PARKED_LIMIT = 1_000;

/** `inspect active` / `inspect reserved`; `safe`: argsrepr / kwargsrepr instead of arguments. */
export function heldRequests(
  t: ControlTargets,
  state: 'active' | 'reserved',
  safe = false,
): unknown[] {
  const host = t.worker.hostname;
  const pools = t.pools;
  const isolate = (id: string): number | undefined =>
    pools.enabled ? pools.isolateOf(id) : undefined;
  const snapshot = t.worker.snapshot();
  if (!pools.enabled) {
    return snapshot[state].map((r) => requestInfo(r, host, state, undefined, safe));
  }
  // A pool task waiting for a free isolate has not started: reserved, as Celery's prefork
  // lists what no child runs yet.
  const waiting = snapshot.active.filter((r) => pools.isWaiting(r.id));
  const held =
    state === 'active'
      ? snapshot.active.filter((r) => !waiting.includes(r))
      : [...snapshot.reserved, ...waiting];
  return held.map((r) => requestInfo(r, host, state, isolate(r.id), safe));
}

/**
 * `inspect scheduled`, Celery's reply: the ETA tasks this worker holds. Celeriac parks ETAs further than 2 s
 * ahead in the broker instead (Redis): those of this worker's queues are listed too, after
 * the held ones, with `parked: true` (every worker consuming the queue lists them).
 */
export async function scheduledRequests(t: ControlTargets): Promise<unknown[]> {
  const host = t.worker.hostname;
  const held = t.worker.snapshot().scheduled.map((r) => ({
    eta: r.eta ? toCeleryDate(r.eta) : null,
    priority: 6,
    request: requestInfo(r, host, 'scheduled'),
  }));
  return [...held, ...(await parkedRequests(t, host))];
}

async function parkedRequests(t: ControlTargets, host: string): Promise<unknown[]> {
  const { broker } = t;
  if (!broker.parked) return [];
  const parked = await broker.parked(t.worker.queues, PARKED_LIMIT);
  const entries: unknown[] = [];
  for (const p of parked) {
    let request;
    try {
      request = parseTaskMessage(p.message, p.queue);
    } catch {
      continue; // dead-lettered when it is due; nothing to show as a task
    }
    const held: HeldRequest = {
      ...request,
      deliveryInfo: { ...p.deliveryInfo, redelivered: false },
    };
    entries.push({
      eta: toCeleryDate(request.eta ?? p.due),
      priority: 6,
      request: requestInfo(held, host, 'scheduled'),
      parked: true,
    });
  }
  return entries;
}

/** `inspect query_task`: the state and request of each id this worker holds. */
export function queryTask(
  t: ControlTargets,
  args: Record<string, unknown>,
): Record<string, unknown> {
  const ids = new Set([args.ids].flat().map(String));
  const host = t.worker.hostname;
  const snap = t.worker.snapshot();
  const found: Record<string, unknown> = {};
  for (const state of ['active', 'reserved', 'scheduled'] as const) {
    for (const r of snap[state]) {
      if (ids.has(r.id))
        found[r.id] = [state === 'scheduled' ? 'reserved' : state, requestInfo(r, host, state)];
    }
  }
  return found;
}
