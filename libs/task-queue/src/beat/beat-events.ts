import { Injectable, Logger } from '@nestjs/common';
import { filter, type Observable, Subject } from 'rxjs';
import { describeThrownLine } from '../protocol/thrown-value.js';
import { GuardedObservable } from '../utils/guarded-observable.js';

/** A fire published: lateness is the publish instant minus the scheduled instant (+ jitter). */
export interface BeatFiredEvent {
  type: 'fired';
  name: string;
  task: string;
  taskId: string;
  scheduledAt: number;
  publishedAt: number;
  /** ms from the due instant (scheduled + jitter) to the end of the publish. */
  lateness: number;
  /** Published again by a new leader (claimed by one that did not confirm it). */
  republished: boolean;
}

/**
 * Fires not published: outside the catch-up window or dropped by its policy (`catch-up`), past
 * their `expires` when due to be sent (`expired`), or a run still going (`overlap`).
 */
export interface BeatSkippedEvent {
  type: 'skipped';
  name: string;
  count: number;
  reason: 'catch-up' | 'expired' | 'overlap';
  /** With `overlap`: the unfinished previous run, its state and when it was published. */
  previous?: { taskId: string; state: string; publishedAt: number | null };
}

/** This instance became leader (`leader: true`) or stopped being it. */
export interface BeatLeaderEvent {
  type: 'leader';
  leader: boolean;
  owner: string;
  token: number | null;
  at: number;
}

/** A claimed fire whose publish failed (retried by the next leader / next tick). */
export interface BeatPublishFailedEvent {
  type: 'publish-failed';
  name: string;
  taskId: string;
  error: string;
}

export type BeatEvent =
  BeatFiredEvent | BeatSkippedEvent | BeatLeaderEvent | BeatPublishFailedEvent;

/**
 * The beat's observability hooks: fires with their lateness, skipped fires and leader changes.
 * Subscribers that throw are logged, never break the beat.
 *
 * @example
 * beatEvents.on('fired').subscribe((e) => histogram.observe(e.lateness / 1000));
 * @publicApi
 */
@Injectable()
export class BeatEvents {
  private readonly logger = new Logger('Beat');
  private readonly subject = new Subject<BeatEvent>();
  private subscribers = 0;
  /** Every beat event. */
  readonly events$: Observable<BeatEvent> = new GuardedObservable<BeatEvent>(
    (error) => this.logger.error(`A beat event subscriber failed: ${describeThrownLine(error)}`),
    (subscriber) => {
      this.subscribers++;
      const subscription = this.subject.subscribe(subscriber);
      return () => {
        this.subscribers--;
        subscription.unsubscribe();
      };
    },
  );

  /** Events of one type. */
  on<T extends BeatEvent['type']>(type: T): Observable<Extract<BeatEvent, { type: T }>> {
    return this.events$.pipe(
      filter((event): event is Extract<BeatEvent, { type: T }> => event.type === type),
    );
  }

  /** Whether anyone listens (events are not built otherwise). */
  get listened(): boolean {
    return this.subscribers > 0;
  }

  emit(event: BeatEvent): void {
    if (this.subscribers > 0) this.subject.next(event);
  }
}
