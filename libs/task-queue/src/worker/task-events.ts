import { Injectable } from '@nestjs/common';
import { filter, type Observable, Subject } from 'rxjs';

export type TaskEventType =
  | 'task-received'
  | 'task-started'
  | 'task-succeeded'
  | 'task-failed'
  | 'task-retried'
  | 'task-revoked'
  | 'task-rejected'
  | 'task-returned';

/** One lifecycle event of a task on this worker (the basis of monitoring and Celery events). */
export interface TaskEvent {
  type: TaskEventType;
  taskId: string;
  name: string;
  hostname: string;
  timestamp: number;
  retries?: number;
  args?: unknown[];
  kwargs?: Record<string, unknown>;
  eta?: string | null;
  expires?: string | null;
  rootId?: string;
  parentId?: string | null;
  /** Return value (succeeded). */
  result?: unknown;
  /** Seconds the handler ran (succeeded / failed). */
  runtime?: number;
  /** Error (failed / retried / rejected). */
  error?: { name: string; message: string; stack?: string };
  /** The error object itself, in-process only (listeners, hooks). */
  cause?: unknown;
  /** Final state, on `task-returned`. */
  state?: string;
  /** Why a task was revoked or rejected (`expired`, `revoked`, `unknown task` ...). */
  reason?: string;
  queue?: string;
}

/**
 * Module-wide stream of task events.
 *
 * @example
 * events.on('task-failed').subscribe((e) => alert(e.name, e.error));
 * @publicApi
 */
@Injectable()
export class TaskEvents {
  private readonly subject = new Subject<TaskEvent>();

  /** Every event. */
  get events$(): Observable<TaskEvent> {
    return this.subject.asObservable();
  }

  /** Events of one type. */
  on(type: TaskEventType): Observable<TaskEvent> {
    return this.subject.pipe(filter((event) => event.type === type));
  }

  emit(event: TaskEvent): void {
    this.subject.next(event);
  }

  complete(): void {
    this.subject.complete();
  }
}
