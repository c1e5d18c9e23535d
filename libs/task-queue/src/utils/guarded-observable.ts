import { Observable, type Observer, type Operator, Subscriber, type Subscription } from 'rxjs';

/** Reports an error a subscriber threw (`value` is what it was handling, if any). */
export type SubscriberErrorReport = (error: unknown, value?: unknown) => void;

/**
 * An Observable whose subscribers cannot take the process down: an error thrown by a
 * subscriber's `next` / `complete`, or an error notification nobody handles (an operator such
 * as `map` that threw), is reported and dropped instead of being rethrown by RxJS on a timer,
 * where it would be an uncaught exception. Operators applied with `pipe()` keep the guard.
 */
export class GuardedObservable<T> extends Observable<T> {
  constructor(
    private readonly report: SubscriberErrorReport,
    subscribe?: (this: Observable<T>, subscriber: Subscriber<T>) => (() => void) | void,
  ) {
    super(subscribe);
  }

  override lift<R>(operator?: Operator<T, R>): Observable<R> {
    const observable = new GuardedObservable<R>(this.report);
    observable.source = this;
    observable.operator = operator;
    return observable;
  }

  override subscribe(
    observerOrNext?: Partial<Observer<T>> | ((value: T) => void) | null,
  ): Subscription {
    // RxJS's own operator chain passes Subscribers: only the final, user-facing one is guarded.
    if (observerOrNext instanceof Subscriber) return super.subscribe(observerOrNext);
    const observer: Partial<Observer<T>> =
      typeof observerOrNext === 'function' ? { next: observerOrNext } : (observerOrNext ?? {});
    const report = this.report;
    return super.subscribe({
      next(value) {
        try {
          observer.next?.call(observer, value);
        } catch (error) {
          report(error, value);
        }
      },
      error(error: unknown) {
        try {
          if (observer.error) observer.error.call(observer, error);
          else report(error);
        } catch (thrown) {
          report(thrown);
        }
      },
      complete() {
        try {
          observer.complete?.call(observer);
        } catch (error) {
          report(error);
        }
      },
    });
  }
}
