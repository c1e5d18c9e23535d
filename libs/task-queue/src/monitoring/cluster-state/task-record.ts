import { isReadyState } from '../../results/task-states.js';
import type { CeleryEvent } from '../celery-events/event-fields.js';

/**
 * What the cluster state knows of one task, merged from its Celery events. Values of args,
 * kwargs, result and exception are the Python reprs the events carry (strings).
 * Timestamps are milliseconds since the epoch.
 * @publicApi
 */
export interface TaskRecord {
  uuid: string;
  name: string | null;
  state: string;
  args: string | null;
  kwargs: string | null;
  result: string | null;
  exception: string | null;
  traceback: string | null;
  retries: number;
  /** Hostname of the worker that received it. */
  worker: string | null;
  queue: string | null;
  parentId: string | null;
  rootId: string | null;
  /** Ids of tasks whose `parent_id` is this one (bounded). */
  children: string[];
  eta: string | null;
  expires: string | null;
  runtime: number | null;
  sent: number | null;
  received: number | null;
  started: number | null;
  /** When it reached a ready state (SUCCESS, FAILURE, REVOKED) or REJECTED. */
  finished: number | null;
  /** Timestamp of the event that set {@link state}. */
  updated: number;
}

/** Event type → the state it sets. */
const EVENT_STATES: Record<string, string> = {
  'task-sent': 'PENDING',
  'task-received': 'RECEIVED',
  'task-started': 'STARTED',
  'task-succeeded': 'SUCCESS',
  'task-failed': 'FAILURE',
  'task-retried': 'RETRY',
  'task-revoked': 'REVOKED',
  'task-rejected': 'REJECTED',
};

const RANK: Record<string, number> = { PENDING: 0, RECEIVED: 1, STARTED: 2, RETRY: 3 };
const MAX_CHILDREN = 100;

/** The state a task event sets, or undefined for an event that is not a task state. */
export function eventState(type: string): string | undefined {
  return EVENT_STATES[type];
}

/** An empty record for a task first seen now. */
export function newTaskRecord(uuid: string, timestamp: number): TaskRecord {
  return {
    uuid,
    name: null,
    state: 'PENDING',
    args: null,
    kwargs: null,
    result: null,
    exception: null,
    traceback: null,
    retries: 0,
    worker: null,
    queue: null,
    parentId: null,
    rootId: null,
    children: [],
    eta: null,
    expires: null,
    runtime: null,
    sent: null,
    received: null,
    started: null,
    finished: null,
    updated: timestamp,
  };
}

/**
 * Merge a task event into its record. Events of one task may arrive out of order (batches of
 * different hosts): a finished task is never moved back to a running state by an older event,
 * but a retried one takes its next `task-received` / `task-started`.
 */
export function applyTaskEvent(record: TaskRecord, event: CeleryEvent, timestamp: number): void {
  const state = EVENT_STATES[event.type];
  if (!state) return;
  const text = (key: string) => (typeof event[key] === 'string' ? (event[key] as string) : null);
  record.name = text('name') ?? record.name;
  record.args = text('args') ?? record.args;
  record.kwargs = text('kwargs') ?? record.kwargs;
  record.parentId = text('parent_id') ?? record.parentId;
  record.rootId = text('root_id') ?? record.rootId;
  record.eta = text('eta') ?? record.eta;
  record.expires = text('expires') ?? record.expires;
  record.queue = text('queue') ?? text('routing_key') ?? record.queue;
  if (typeof event.retries === 'number') record.retries = event.retries;
  switch (event.type) {
    case 'task-sent':
      record.sent = timestamp;
      break;
    case 'task-received':
      record.received = timestamp;
      record.worker = text('hostname');
      break;
    case 'task-started':
      record.started = timestamp;
      record.worker = text('hostname') ?? record.worker;
      break;
    case 'task-succeeded':
      record.result = text('result');
      if (typeof event.runtime === 'number') record.runtime = event.runtime;
      break;
    case 'task-failed':
    case 'task-retried':
      record.exception = text('exception');
      record.traceback = text('traceback');
      break;
  }
  if (acceptsState(record, state, timestamp)) {
    record.state = state;
    record.updated = timestamp;
    if (isReadyState(state) || state === 'REJECTED') record.finished = timestamp;
  }
}

/** Record `child` under `parent` (bounded, no duplicates). */
export function addChild(parent: TaskRecord, child: string): void {
  if (parent.children.length < MAX_CHILDREN && !parent.children.includes(child)) {
    parent.children.push(child);
  }
}

function acceptsState(record: TaskRecord, state: string, timestamp: number): boolean {
  const current = record.state;
  const finished = isReadyState(current) || current === 'REJECTED';
  if (finished) return (isReadyState(state) || state === 'REJECTED') && timestamp >= record.updated;
  return timestamp >= record.updated || (RANK[state] ?? 4) >= (RANK[current] ?? 4);
}
