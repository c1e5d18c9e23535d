import { Subject } from 'rxjs';
import { dropOldest, touchEntry } from '../../utils/recency-map.js';
import type { CeleryEvent } from '../celery-events/event-fields.js';
import { type TaskPage, type TaskQuery, taskMatcher } from './task-query.js';
import {
  addChild,
  applyTaskEvent,
  eventState,
  newTaskRecord,
  type TaskRecord,
} from './task-record.js';
import {
  applyWorkerEvent,
  isWorkerAlive,
  newWorkerRecord,
  type WorkerRecord,
} from './worker-record.js';

/** Limits of a {@link ClusterState}. @publicApi */
export interface ClusterStateOptions {
  /** Tasks kept, least recently updated dropped first. Default 10,000. */
  maxTasks?: number;
  /** Workers kept, longest silent dropped first. Default 1,000. */
  maxWorkers?: number;
}

/** What one event changed. @publicApi */
export interface ClusterChange {
  event: CeleryEvent;
  task?: TaskRecord;
  worker?: WorkerRecord;
}

/**
 * The cluster as Celery events describe it (Flower's `EventsState`), bounded: at most
 * `maxTasks` tasks in least-recently-updated order and `maxWorkers` workers, so memory stays
 * flat however long it runs. Feed it with {@link apply} (from a `CeleryEventsReceiver`).
 * @publicApi
 */
export class ClusterState {
  private readonly tasks = new Map<string, TaskRecord>();
  private readonly workers = new Map<string, WorkerRecord>();
  private readonly maxTasks: number;
  private readonly maxWorkers: number;
  private readonly changes = new Subject<ClusterChange>();
  /** Every change, after it is applied. */
  readonly changes$ = this.changes.asObservable();

  constructor(options: ClusterStateOptions = {}) {
    this.maxTasks = Math.max(1, options.maxTasks ?? 10_000);
    this.maxWorkers = Math.max(1, options.maxWorkers ?? 1_000);
  }

  /** Merge one event; returns what it changed. */
  apply(event: CeleryEvent): ClusterChange {
    const timestamp = typeof event.timestamp === 'number' ? event.timestamp * 1000 : Date.now();
    const change: ClusterChange = { event };
    const hostname = typeof event.hostname === 'string' ? event.hostname : undefined;
    // task-sent comes from the producer, not from a worker.
    if (hostname && event.type !== 'task-sent')
      change.worker = this.touchWorker(hostname, event, timestamp);
    const uuid = event.uuid;
    if (typeof uuid === 'string' && eventState(event.type)) {
      change.task = this.touchTask(uuid, event, timestamp);
    }
    if (this.changes.observed) this.changes.next(change);
    return change;
  }

  /** Put back records saved earlier (a history store), oldest first; live ones win. */
  restore(records: readonly TaskRecord[]): void {
    for (const record of records) {
      if (this.tasks.has(record.uuid)) continue;
      this.tasks.set(record.uuid, { ...record, children: [...record.children] });
      dropOldest(this.tasks, this.maxTasks);
    }
  }

  task(uuid: string): TaskRecord | undefined {
    return this.tasks.get(uuid);
  }

  /** Tasks matching `query`, most recently updated first. */
  search(query: TaskQuery = {}): TaskPage {
    const limit = Math.min(Math.max(query.limit ?? 50, 1), 1_000);
    const offset = Math.max(query.offset ?? 0, 0);
    const matches = taskMatcher(query);
    if (query.id !== undefined) {
      const task = this.tasks.get(query.id);
      const items = task && matches(task) ? [task] : [];
      return { items: items.slice(offset, offset + limit), total: items.length };
    }
    const items: TaskRecord[] = [];
    let total = 0;
    for (const task of [...this.tasks.values()].reverse()) {
      if (!matches(task)) continue;
      if (total >= offset && items.length < limit) items.push(task);
      total++;
    }
    return { items, total };
  }

  /** Every known worker, with `online` computed for `now`. */
  workerList(now = Date.now()): WorkerRecord[] {
    return [...this.workers.values()].map((worker) => ({
      ...worker,
      online: isWorkerAlive(worker, now),
    }));
  }

  get taskCount(): number {
    return this.tasks.size;
  }

  private touchTask(uuid: string, event: CeleryEvent, timestamp: number): TaskRecord {
    const task = touchEntry(this.tasks, uuid, () => newTaskRecord(uuid, timestamp));
    applyTaskEvent(task, event, timestamp);
    if (task.parentId && task.parentId !== uuid) {
      const parent = this.tasks.get(task.parentId);
      if (parent) addChild(parent, uuid);
    }
    dropOldest(this.tasks, this.maxTasks);
    return task;
  }

  private touchWorker(hostname: string, event: CeleryEvent, timestamp: number): WorkerRecord {
    const worker = touchEntry(this.workers, hostname, () => newWorkerRecord(hostname, timestamp));
    applyWorkerEvent(worker, event, timestamp);
    worker.online = isWorkerAlive(worker, Date.now());
    dropOldest(this.workers, this.maxWorkers);
    return worker;
  }
}
