import { Gauge, type Registry } from 'prom-client';
import type { CeleryEvent } from '../../monitoring/celery-events/event-fields.js';
import type { TaskEvent, TaskEventType } from '../../tasks/task-events.js';

/** Task ids remembered to name later events (Celery sends the name on sent / received only). */
const MAX_TASKS = 100_000;
/** Celery's window: a worker is offline 2 × its heartbeat interval after its last heartbeat. */
const EXPIRY_FACTOR = 2;
/** celery-exporter's default `--purge-offline-worker-metrics`: a worker down this long is forgotten. */
export const PURGE_OFFLINE_WORKER_MS = 10 * 60_000;

const TASK_TYPES = new Set<string>([
  'task-sent',
  'task-received',
  'task-started',
  'task-succeeded',
  'task-failed',
  'task-retried',
  'task-revoked',
  'task-rejected',
]);

/**
 * The cluster's Celery events turned into task events for {@link TaskMetrics} (names and queues
 * remembered from `task-sent` / `task-received`, as celery-exporter's state does), and the
 * workers' heartbeats into `celery_worker_up` / `celery_active_worker_count`.
 */
export class ClusterEvents {
  private readonly tasks = new Map<string, { name: string; queue: string }>();
  private readonly workers = new Map<
    string,
    { lastSeen: number; freq: number; offline: boolean }
  >();

  constructor(
    registry: Registry,
    private readonly record: (event: TaskEvent) => void,
    /** A worker down (offline or silent) this long loses its series, as in celery-exporter. */
    purgeAfterMs = PURGE_OFFLINE_WORKER_MS,
  ) {
    const workers = this.workers;
    /** When the worker went down: its worker-offline, or its last heartbeat's expiry. */
    const downSince = (w: { lastSeen: number; freq: number; offline: boolean }): number =>
      w.offline ? w.lastSeen : w.lastSeen + w.freq * EXPIRY_FACTOR * 1000;
    const up = (w: { lastSeen: number; freq: number; offline: boolean }, now: number): boolean =>
      now < downSince(w);
    new Gauge({
      name: 'celery_worker_up',
      help: 'Whether a worker sends heartbeats (Celery events), by hostname.',
      labelNames: ['hostname'],
      registers: [registry],
      collect() {
        this.reset();
        const now = Date.now();
        for (const [hostname, w] of workers) {
          // Forgotten, or `celery_worker_up == 0` alerts fire for ever for every pod scaled down.
          if (now - downSince(w) > purgeAfterMs) workers.delete(hostname);
          else this.set({ hostname }, up(w, now) ? 1 : 0);
        }
      },
    });
    new Gauge({
      name: 'celery_active_worker_count',
      help: 'Workers sending heartbeats (Celery events), Python and Node.',
      registers: [registry],
      collect() {
        const now = Date.now();
        this.set([...workers.values()].filter((w) => up(w, now)).length);
      },
    });
  }

  handle(event: CeleryEvent): void {
    const hostname = typeof event.hostname === 'string' ? event.hostname : '';
    if (event.type.startsWith('worker-')) return this.worker(event, hostname);
    if (!TASK_TYPES.has(event.type) || typeof event.uuid !== 'string') return;
    const uuid = event.uuid;
    let known = this.tasks.get(uuid);
    if (typeof event.name === 'string') {
      const queue =
        typeof event.queue === 'string'
          ? event.queue
          : typeof event.routing_key === 'string'
            ? event.routing_key
            : (known?.queue ?? '');
      known = { name: event.name, queue };
      this.remember(uuid, known);
    }
    const seconds = typeof event.timestamp === 'number' ? event.timestamp : Date.now() / 1000;
    this.record({
      type: event.type as TaskEventType,
      taskId: uuid,
      name: known?.name ?? '',
      hostname,
      timestamp: seconds * 1000,
      queue: known?.queue ?? '',
      runtime: typeof event.runtime === 'number' ? event.runtime : undefined,
      error:
        event.type === 'task-failed'
          ? { name: exceptionName(event.exception), message: '' }
          : undefined,
    });
    if (
      event.type === 'task-succeeded' ||
      event.type === 'task-failed' ||
      event.type === 'task-revoked'
    )
      this.tasks.delete(uuid);
  }

  /**
   * A send of this process (`tasks: 'events'` counts them too): Celeriac sends no `task-sent`
   * event and Celery's `task-received` has no queue, so the queue of a task this process sent
   * comes from here.
   */
  sent(event: TaskEvent): void {
    this.remember(event.taskId, { name: event.shadow ?? event.name, queue: event.queue ?? '' });
    this.record(event);
  }

  private worker(event: CeleryEvent, hostname: string): void {
    if (!hostname) return;
    const freq = typeof event.freq === 'number' && event.freq > 0 ? event.freq : 2;
    this.workers.set(hostname, {
      lastSeen: Date.now(),
      freq,
      offline: event.type === 'worker-offline',
    });
  }

  private remember(uuid: string, task: { name: string; queue: string }): void {
    this.tasks.delete(uuid);
    this.tasks.set(uuid, task);
    if (this.tasks.size > MAX_TASKS) this.tasks.delete(this.tasks.keys().next().value!);
  }
}

/** `ValueError('boom')` → `ValueError`. */
function exceptionName(repr: unknown): string {
  if (typeof repr !== 'string') return 'Exception';
  return /^([\w.]+)/.exec(repr)?.[1] ?? 'Exception';
}
