import { Injectable, Logger } from '@nestjs/common';
import { filter, type Observable, Subject } from 'rxjs';
import { describeThrownLine } from '../protocol/thrown-value.js';
import { toCeleryDate } from '../protocol/json-codec.js';
import type { TaskRequest } from '../protocol/task-request.js';
import { GuardedObservable } from '../utils/guarded-observable.js';

export type TaskEventType =
  /**
   * A task message this process published, by any path: send, retry, canvas step, after-commit,
   * outbox (fast path or relay), redrive, beat fire (in-process only, not a Celery event here).
   */
  | 'task-sent'
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
  /** The registered task name (what `@OnTaskEvent({ task })` globs match). */
  name: string;
  /** The message's `shadow` name, when set: Celery events and logs show it instead of `name`. */
  shadow?: string;
  hostname: string;
  timestamp: number;
  retries?: number;
  args?: unknown[];
  kwargs?: Record<string, unknown>;
  /**
   * The message's `argsrepr` / `kwargsrepr` headers (`task-received`): what the producer chose
   * to show of the arguments (Celery's `apply_async(argsrepr=...)` hides secrets this way).
   * Celery events carry these instead of reprs of `args` / `kwargs` when they are set.
   */
  argsrepr?: string;
  kwargsrepr?: string;
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
  /**
   * Why a task was revoked or rejected (`expired`, `revoked`, `unknown task` ...), or retried
   * (Celery's `str(Retry)`: `Retry in 5s`, `Retry at <eta>`, then `: <cause>`).
   */
  reason?: string;
  queue?: string;
  /**
   * When the message was sent (epoch ms, its `x-celeriac-sent-at` header), on `task-started`
   * of a message that carries one: queue wait = `timestamp - sentAt`.
   */
  sentAt?: number;
}

/**
 * Module-wide stream of task events. An error thrown by a subscriber (or an operator of its
 * pipe) is logged with the task id and never ends the process nor affects the task.
 *
 * @example
 * events.on('task-failed').subscribe((e) => alert(e.name, e.error));
 * @publicApi
 */
@Injectable()
export class TaskEvents {
  private readonly logger = new Logger('TaskEvents');
  private readonly subject = new Subject<TaskEvent>();
  /** Live subscriptions to `events$`, and to `on(type)` per type (see {@link listens}). */
  private allListeners = 0;
  private readonly typeListeners = new Map<TaskEventType, number>();
  /** Synchronous listeners of {@link tap}, by the types they take. */
  private taps: { types: ReadonlySet<TaskEventType>; handle: (event: TaskEvent) => void }[] = [];
  /** Every type some tap takes (asked per event by {@link listens}). */
  private tapped: ReadonlySet<TaskEventType> = new Set();

  /** Every event. */
  get events$(): Observable<TaskEvent> {
    return this.counted(
      this.subject,
      () => (this.allListeners += 1),
      () => (this.allListeners -= 1),
    );
  }

  /** Events of one type. */
  on(type: TaskEventType): Observable<TaskEvent> {
    const count = (delta: number): void => {
      this.typeListeners.set(type, (this.typeListeners.get(type) ?? 0) + delta);
    };
    return this.counted(
      this.subject.pipe(filter((event) => event.type === type)),
      () => count(1),
      () => count(-1),
    );
  }

  /**
   * True when someone subscribes to events of `type`: emitters skip building events nobody
   * receives (a hot-path saving; the stream itself is unchanged).
   */
  listens(type: TaskEventType): boolean {
    return (
      this.allListeners > 0 || (this.typeListeners.get(type) ?? 0) > 0 || this.tapped.has(type)
    );
  }

  /**
   * Calls `handle` with every event of `types`, synchronously and without RxJS: for in-process
   * counters on the task hot path (metrics). A throwing handler is logged like a subscriber.
   * Returns the function that removes it.
   */
  tap(types: Iterable<TaskEventType>, handle: (event: TaskEvent) => void): () => void {
    const tap = { types: new Set(types), handle };
    this.setTaps([...this.taps, tap]);
    return () => this.setTaps(this.taps.filter((t) => t !== tap));
  }

  private setTaps(taps: typeof this.taps): void {
    this.taps = taps;
    this.tapped = new Set(taps.flatMap((tap) => [...tap.types]));
  }

  emit(event: TaskEvent): void {
    for (const tap of this.taps) {
      if (!tap.types.has(event.type)) continue;
      try {
        tap.handle(event);
      } catch (error) {
        this.reportSubscriberError(error, event);
      }
    }
    this.subject.next(event);
  }

  complete(): void {
    this.setTaps([]);
    this.subject.complete();
  }

  private readonly reportSubscriberError = (error: unknown, value?: unknown): void => {
    const event = value as TaskEvent | undefined;
    const about = event?.taskId ? ` on ${event.type} of ${event.name}[${event.taskId}]` : '';
    this.logger.error(
      `A task event subscriber failed${about}: ${describeThrownLine(error)}. ` +
        `The event was dropped for that subscriber; the task is not affected.`,
      ...(event?.taskId
        ? [{ taskId: event.taskId, taskName: event.name, queue: event.queue ?? null }]
        : []),
    );
  };

  /** `source`, counting its live subscriptions. */
  private counted(
    source: Observable<TaskEvent>,
    added: () => void,
    removed: () => void,
  ): Observable<TaskEvent> {
    return new GuardedObservable<TaskEvent>(this.reportSubscriberError, (subscriber) => {
      added();
      const subscription = source.subscribe(subscriber);
      return () => {
        removed();
        subscription.unsubscribe();
      };
    });
  }
}

/** The `task-received` event of a request delivered from `queue`. */
export function receivedEvent(request: TaskRequest, hostname: string, queue: string): TaskEvent {
  return {
    type: 'task-received',
    taskId: request.id,
    name: request.name,
    hostname,
    timestamp: Date.now(),
    retries: request.retries,
    args: request.args,
    kwargs: request.kwargs,
    argsrepr: stringHeader(request, 'argsrepr'),
    kwargsrepr: stringHeader(request, 'kwargsrepr'),
    eta: request.eta ? toCeleryDate(request.eta) : null,
    expires: request.expires ? toCeleryDate(request.expires) : null,
    rootId: request.rootId,
    parentId: request.parentId,
    shadow: shadowOf(request),
    queue,
  };
}

function stringHeader(request: TaskRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/** The message's `shadow` header (Celery's display name), if it is a non-empty string. */
export function shadowOf(request: TaskRequest): string | undefined {
  const shadow = request.headers.shadow;
  return typeof shadow === 'string' && shadow ? shadow : undefined;
}

/** The name logs and events show: the `shadow` header when set (Celery), else the task name. */
export function displayName(request: TaskRequest): string {
  return shadowOf(request) ?? request.name;
}
