/** What runs when the promise a task waits on settles. */
export interface SettlementWaiter {
  resolved(): void;
  rejected(error: unknown): void;
}

/** Waiters of one promise, and that promise. */
interface Group {
  promise: Promise<unknown>;
  waiters: SettlementWaiter[];
}

/**
 * Waiters grouped by the promise they wait on: the tasks whose results share one batched
 * store (one promise per batch, see TickBatcher) share one reaction, instead of one `await`
 * (a promise and a reaction job) each, which with AsyncLocalStorage's promise hooks on is a
 * measurable part of a task's cost. Waiters run in the order they joined, and should not
 * throw: one that does keeps no other from running, and its error then rejects the group's
 * reaction (an unhandled rejection, as a throwing `.then` callback of its own would be).
 */
export class SharedSettlement {
  /** The group the next waiter joins if it waits on the same promise; null once that settled. */
  private last: Group | null = null;

  /** Call `waiter.resolved()` or `waiter.rejected(error)` once `promise` settles. */
  when(promise: Promise<unknown>, waiter: SettlementWaiter): void {
    const last = this.last;
    if (last !== null && last.promise === promise) {
      last.waiters.push(waiter);
      return;
    }
    const group: Group = { promise, waiters: [waiter] };
    this.last = group;
    promise.then(
      () => {
        this.close(group);
        runAll(group.waiters, (one) => one.resolved());
      },
      (error: unknown) => {
        this.close(group);
        runAll(group.waiters, (one) => one.rejected(error));
      },
    );
  }

  private close(group: Group): void {
    if (this.last === group) this.last = null;
  }
}

/** Call `run` for every waiter, even after one throws; then throw the first error. */
function runAll(waiters: SettlementWaiter[], run: (one: SettlementWaiter) => void): void {
  let thrown: { error: unknown } | undefined;
  for (const one of waiters) {
    try {
      run(one);
    } catch (error) {
      thrown ??= { error };
    }
  }
  if (thrown) throw thrown.error;
}
