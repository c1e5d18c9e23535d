import { Logger } from '@nestjs/common';
import type { DataSource, QueryRunner } from 'typeorm';
import { committedCallbackScope } from './committed-callback.scope.js';
import { getOnCommitConfig } from './on-commit.config.js';
import type { HookEntry } from './on-commit.types.js';
import { holdRunningTask } from '../tasks/task-context.storage.js';

/** Reported for every callback that threw. */
export interface OnCommitErrorEvent {
  readonly name: string;
  readonly error: unknown;
  readonly robust: boolean;
}

/**
 * Runs the callbacks of committed transactions: on `setImmediate` (after TypeORM released the
 * connection), outside every known transaction context, sequentially in registration order,
 * with Django's `robust` semantics. Errors are logged and reported, never rethrown into TypeORM.
 * Pending work is tracked per DataSource too, so one app's shutdown drains only its own.
 */
export class CommitHooksRunner {
  private readonly logger = new Logger('OnCommit');
  private readonly pending = new Set<Promise<void>>();
  private readonly pendingBySource = new WeakMap<DataSource, Set<Promise<void>>>();
  private readonly completions = new WeakMap<QueryRunner, Promise<void>>();
  private readonly errorListeners = new Set<(event: OnCommitErrorEvent) => void>();

  /** Schedule the callbacks of the transaction that ran on `queryRunner`. */
  schedule(queryRunner: QueryRunner, entries: HookEntry[]): void {
    // Entries of a capture scope were recorded there instead of being run.
    if (entries.some((entry) => entry.capture)) entries = entries.filter((e) => !e.capture);
    if (entries.length === 0) return;
    const done = new Promise<void>((resolve, reject) => {
      setImmediate(() => {
        committedCallbackScope
          .run(true, () => this.runOutsideTransaction(() => this.runAll(entries)))
          .then(resolve, reject);
      });
    });
    this.completions.set(queryRunner, done);
    this.track(done, queryRunner.connection);
    // A task that committed finishes after its callbacks, as Django runs them in the commit.
    holdRunningTask(done.catch(() => undefined));
  }

  /**
   * Keep `work` in the set `drain()` waits for, and in `dataSource`'s set when given (what
   * `drain(dataSource)` waits for). Its rejection is considered handled.
   */
  track(work: Promise<unknown>, dataSource?: DataSource): void {
    const tracked = work.then(
      () => undefined,
      () => undefined,
    );
    const sets = [this.pending];
    if (dataSource) sets.push(this.pendingOf(dataSource));
    for (const set of sets) set.add(tracked);
    void tracked.finally(() => {
      for (const set of sets) set.delete(tracked);
    });
  }

  /**
   * The completion of the callbacks scheduled by the last commit on `queryRunner` (rejects with
   * the error of a non-robust callback), once; undefined when none were scheduled.
   */
  takeCompletion(queryRunner: QueryRunner): Promise<void> | undefined {
    const done = this.completions.get(queryRunner);
    this.completions.delete(queryRunner);
    return done;
  }

  /**
   * Resolve when every scheduled callback (including ones scheduled meanwhile) has finished:
   * those of `dataSource` only when given, else all of the process.
   */
  async drain(dataSource?: DataSource): Promise<void> {
    const pending = dataSource ? this.pendingBySource.get(dataSource) : this.pending;
    while (pending && pending.size > 0) await Promise.all([...pending]);
  }

  private pendingOf(dataSource: DataSource): Set<Promise<void>> {
    let set = this.pendingBySource.get(dataSource);
    if (!set) this.pendingBySource.set(dataSource, (set = new Set()));
    return set;
  }

  /** Subscribe to callback errors; returns the unsubscribe function. */
  onError(listener: (event: OnCommitErrorEvent) => void): () => void {
    this.errorListeners.add(listener);
    return () => this.errorListeners.delete(listener);
  }

  /**
   * Run one callback now; robust ⇒ log and swallow its error. `immediate`: run at once because
   * no transaction was active (said in the error line).
   */
  async runOne(
    entry: Pick<HookEntry, 'fn' | 'robust' | 'name'>,
    when: 'committed' | 'immediate' = 'committed',
  ): Promise<void> {
    try {
      await entry.fn();
    } catch (error) {
      this.report(entry, error, when);
      if (!entry.robust) throw error;
    }
  }

  private async runAll(entries: HookEntry[]): Promise<void> {
    for (const [index, entry] of entries.entries()) {
      try {
        await this.runOne(entry);
      } catch (error) {
        const skipped = entries.slice(index + 1).map((later) => later.name);
        if (skipped.length > 0) {
          // As Django: the first non-robust failure ends the list, robust callbacks after it too
          // (a delayOnCommit() task among them is not sent). Name them: they are lost.
          const shown = skipped.slice(0, 20).join(', ');
          const more = skipped.length > 20 ? ` and ${skipped.length - 20} more` : '';
          this.logger.error(
            `Skipped ${skipped.length} later onCommit callback(s) of the same transaction because ` +
              `${entry.name} failed: ${shown}${more}. They will not run. Pass { robust: true } ` +
              `to ${entry.name} (its errors are then logged and the callbacks after it run).`,
          );
        }
        throw error;
      }
    }
  }

  private report(
    entry: Pick<HookEntry, 'robust' | 'name'>,
    error: unknown,
    when: 'committed' | 'immediate',
  ): void {
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    const context =
      when === 'immediate'
        ? 'run at once: no transaction was active'
        : `the transaction stayed committed; ${entry.robust ? 'continuing with the next callbacks' : 'remaining callbacks skipped'}`;
    this.logger.error(`Error calling ${entry.name} in onCommit() (${context}): ${detail}`);
    for (const listener of this.errorListeners) {
      try {
        listener({ name: entry.name, error, robust: entry.robust });
      } catch {
        // A failing listener must not hide the original error.
      }
    }
  }

  private runOutsideTransaction(fn: () => Promise<void>): Promise<void> {
    let run = fn;
    for (const resolver of getOnCommitConfig().resolvers) {
      const outside = resolver.runOutside?.bind(resolver);
      if (!outside) continue;
      const inner = run;
      run = () => outside(inner);
    }
    return run();
  }
}

/** The process-wide runner used by `onCommit`. */
export const commitHooksRunner = new CommitHooksRunner();

/**
 * Wait until every pending `onCommit` callback has finished, or only those of `dataSource`'s
 * transactions when given. Call it on shutdown (`beforeApplicationShutdown`; `TaskQueueModule`
 * drains its own DataSource) and in tests before asserting side effects.
 * @publicApi
 */
export function drainOnCommit(dataSource?: DataSource): Promise<void> {
  return commitHooksRunner.drain(dataSource);
}
