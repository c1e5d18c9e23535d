import type { EntityManager } from '../contracts/typeorm-peer.types.js';
import type { ApplyOptions } from '../contracts/apply-options.interface.js';
import type { TaskOptions } from '../contracts/task-options.interface.js';
import type { AsyncResult } from '../results/async-result.js';
import type { TaskDispatcher } from './task.dispatcher.js';

/** Which transaction an on-commit send waits for; default: the current one, found implicitly. */
export interface OnCommitTarget {
  manager?: EntityManager;
}

/**
 * A typed handle for sending one task. `A` are the handler's parameters and `R` its resolved
 * return type, so `delay('x')` does not compile for `process(orderId: number)`.
 * Get one with `TaskClient.get(OrderTasks, 'process')`.
 * @publicApi
 */
export class TaskProducer<A extends readonly unknown[], R> {
  constructor(
    readonly name: string,
    readonly options: TaskOptions,
    private readonly dispatcher: TaskDispatcher,
  ) {}

  /** Send the task with these arguments (Celery's `delay`). Resolves once the broker has it. */
  delay(...args: A): Promise<AsyncResult<R>> {
    return this.dispatcher.send<R>(this.name, args, {}, this.options);
  }

  /** Send the task with per-call options (Celery's `apply_async`). */
  applyAsync(args: A, options: ApplyOptions = {}): Promise<AsyncResult<R>> {
    return this.dispatcher.send<R>(this.name, args, options, this.options);
  }

  /**
   * Send after the current TypeORM transaction commits; never after a rollback. Resolves the
   * handle at once (before the commit), so its id can be stored in the same transaction.
   * Celery's `delay_on_commit`, which returns nothing.
   */
  delayOnCommit(...args: A): Promise<AsyncResult<R>> {
    return this.dispatcher.sendOnCommit<R>(this.name, args, {}, this.options);
  }

  /** `applyAsync` after commit; pass `manager` to name the transaction explicitly. */
  applyAsyncOnCommit(
    args: A,
    options: ApplyOptions & OnCommitTarget = {},
  ): Promise<AsyncResult<R>> {
    return this.dispatcher.sendOnCommit<R>(this.name, args, options, this.options);
  }

  /**
   * The on-commit methods tied to an explicit transaction, for code where the implicit lookup
   * cannot see it: `producer.using({ manager }).delayOnCommit(42)` (same `{ manager }` as
   * `applyAsyncOnCommit(args, { manager })`).
   */
  using(target: OnCommitTarget): Pick<TaskProducer<A, R>, 'delayOnCommit' | 'applyAsyncOnCommit'> {
    return {
      delayOnCommit: (...args: A) =>
        this.dispatcher.sendOnCommit<R>(this.name, args, target, this.options),
      applyAsyncOnCommit: (args: A, options: ApplyOptions & OnCommitTarget = {}) =>
        this.dispatcher.sendOnCommit<R>(this.name, args, { ...target, ...options }, this.options),
    };
  }

  /** A handle on an earlier call by its id. */
  result(id: string): AsyncResult<R> {
    return this.dispatcher.result<R>(id, this.name);
  }
}
