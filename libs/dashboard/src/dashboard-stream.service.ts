import { Injectable, type MessageEvent } from '@nestjs/common';
import type { TaskRecord, WorkerRecord } from 'celeriac';
import { bufferTime, filter, interval, map, merge, type Observable, share } from 'rxjs';
import { DashboardStateService } from './dashboard-state.service.js';
import { taskSummary, type TaskSummary } from './task-summary.js';

/** How often changes are sent: at most ten updates a second, whatever the event rate. */
const BATCH_MS = 100;

/** One SSE message: what changed since the last one. @publicApi */
export interface DashboardDelta {
  /** Server time (ms). */
  now: number;
  tasks: TaskSummary[];
  workers: WorkerRecord[];
  /** Celery event timestamps (ms) of the newest event per task, for latency measurements. */
  eventTimes: Record<string, number>;
  /** Events of the batch by type (`task-succeeded`, `task-failed` ...), for the charts. */
  counts: Record<string, number>;
}

/**
 * The live stream behind `@Sse()`: changes coalesced per {@link BATCH_MS} (a task changed
 * ten times in a batch is sent once), and a keep-alive every 15 s.
 */
@Injectable()
export class DashboardStreamService {
  readonly deltas$: Observable<MessageEvent>;

  constructor(private readonly dashboard: DashboardStateService) {
    const batches = dashboard.changes$.pipe(
      bufferTime(BATCH_MS),
      filter((changes) => changes.length > 0),
      map((changes): DashboardDelta => {
        const tasks = new Map<string, TaskRecord>();
        const workers = new Map<string, WorkerRecord>();
        const eventTimes: Record<string, number> = {};
        const counts: Record<string, number> = {};
        for (const change of changes) {
          counts[change.event.type] = (counts[change.event.type] ?? 0) + 1;
          if (change.task) {
            tasks.set(change.task.uuid, change.task);
            const ts = change.event.timestamp;
            if (typeof ts === 'number') eventTimes[change.task.uuid] = ts * 1000;
          }
          if (change.worker) workers.set(change.worker.hostname, change.worker);
        }
        return {
          now: Date.now(),
          tasks: [...tasks.values()].map(taskSummary),
          workers: [...workers.values()],
          eventTimes,
          counts,
        };
      }),
      map((delta): MessageEvent => ({ type: 'delta', data: delta })),
    );
    const keepAlive = interval(15_000).pipe(
      map((): MessageEvent => ({ type: 'ping', data: { now: Date.now() } })),
    );
    this.deltas$ = merge(batches, keepAlive).pipe(share());
  }
}
