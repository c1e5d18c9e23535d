import type { EntityManager } from '../contracts/typeorm-peer.types.js';
import type { ApplyOptions } from '../contracts/apply-options.interface.js';
import type { TaskOptions } from '../contracts/task-options.interface.js';
import type { AsyncResult } from '../results/async-result.js';
import type { TaskDispatcher } from './task.dispatcher.js';
import { Signature } from './canvas/canvas-signature.js';
import { chunks, xmap, xstarmap } from './canvas/canvas.functions.js';
import type { CanvasRunner, DropSuffix, SuffixOf } from './canvas/canvas-types.js';
import type { Group } from './canvas/canvas-signature.js';

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
    private readonly canvas: CanvasRunner | null = null,
  ) {}

  /**
   * A signature of this task with arguments bound (Celery's `.s()`). When applied, the given
   * arguments (in a chain: the previous step's result) are prepended, so what `.s()` binds are
   * the last parameters: `chain(add.s(2, 2), add.s(4))` runs `add(2, 2)`, then `add(4, 4)`.
   * The free leading parameters are checked against the previous step's result type.
   */
  s<P extends SuffixOf<A>>(...args: P): Signature<DropSuffix<A, P>, R> {
    return this.signature(args, false);
  }

  /** An immutable signature (Celery's `.si()`): all arguments bound, no result prepended. */
  si(...args: A): Signature<[], R> {
    return this.signature(args, true);
  }

  /** One `celery.map` task calling this task with each item (Celery's `task.map(it)`). */
  map(items: readonly A[0][]): Signature<[], R[]> {
    return xmap(this.signature<A>([], false), items) as Signature<[], R[]>;
  }

  /** One `celery.starmap` task calling this task with each argument list. */
  starmap(items: readonly A[]): Signature<[], R[]> {
    return xstarmap(this.signature<A>([], false), items) as Signature<[], R[]>;
  }

  /** The argument lists in chunks of `size`, one `celery.starmap` task each, as a group. */
  chunks(items: readonly A[], size: number): Group<[], R[][]> {
    return chunks(this.signature<A>([], false), items, size) as Group<[], R[][]>;
  }

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
    return this.dispatcher.sendOnCommit<R>(this.name, args, {}, this.options, 'delayOnCommit');
  }

  /** `applyAsync` after commit; pass `manager` to name the transaction explicitly. */
  applyAsyncOnCommit(
    args: A,
    options: ApplyOptions & OnCommitTarget = {},
  ): Promise<AsyncResult<R>> {
    return this.dispatcher.sendOnCommit<R>(
      this.name,
      args,
      options,
      this.options,
      'applyAsyncOnCommit',
    );
  }

  /**
   * The on-commit methods tied to an explicit transaction, for code where the implicit lookup
   * cannot see it: `producer.using({ manager }).delayOnCommit(42)` (same `{ manager }` as
   * `applyAsyncOnCommit(args, { manager })`).
   */
  using(target: OnCommitTarget): Pick<TaskProducer<A, R>, 'delayOnCommit' | 'applyAsyncOnCommit'> {
    return {
      delayOnCommit: (...args: A) =>
        this.dispatcher.sendOnCommit<R>(this.name, args, target, this.options, 'delayOnCommit'),
      applyAsyncOnCommit: (args: A, options: ApplyOptions & OnCommitTarget = {}) =>
        this.dispatcher.sendOnCommit<R>(
          this.name,
          args,
          { ...target, ...options },
          this.options,
          'applyAsyncOnCommit',
        ),
    };
  }

  /** A handle on an earlier call by its id. */
  result(id: string): AsyncResult<R> {
    return this.dispatcher.result<R>(id, this.name);
  }

  private signature<S extends readonly unknown[]>(
    args: readonly unknown[],
    immutable: boolean,
  ): Signature<S, R> {
    return new Signature<S, R>(
      {
        task: this.name,
        args: [...args],
        kwargs: {},
        options: {},
        subtask_type: null,
        immutable,
      },
      this.canvas,
    );
  }
}
