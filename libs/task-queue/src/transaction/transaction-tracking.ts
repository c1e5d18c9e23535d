import { AsyncLocalStorage } from 'node:async_hooks';
import { EntityManager, type DataSource, type QueryRunner } from 'typeorm';
import { honorClsSuspensions } from './resolvers/nestjs-cls.suspension.js';
import { checkCommit, clearOnRollback } from './rollback-only.js';

/**
 * One transaction level seen in the current async context: innermost first, then its parents.
 * A level without a runner only marks the scope of an `EntityManager.transaction()` call, or,
 * with `suspends`, code that runs outside `suspends`'s transactions (`@nestjs-cls/transactional`
 * `NotSupported` / `withoutTransaction()`).
 */
export interface TrackedTransaction {
  readonly queryRunner?: QueryRunner;
  readonly suspends?: DataSource;
  /**
   * The runner's DataSource is not tracked (its `transaction()` callback was seen): found only
   * by a lookup that names that DataSource (`onCommit(fn, { dataSource })`).
   */
  readonly untracked?: boolean;
  readonly parent: TrackedTransaction | undefined;
}

/**
 * The TypeORM transactions of the current async context, however they were opened
 * (`dataSource.transaction`, `manager.transaction`, `queryRunner.startTransaction()`, the
 * implicit transaction of `save()` / `remove()`, `atomic()`, `@Transactional()`), for the
 * DataSources passed to `trackTransactions()`.
 */
export const trackedTransactions = new AsyncLocalStorage<TrackedTransaction>();

const tracked = new Map<DataSource, () => void>();
/** `strict` of the modules that registered a DataSource, while it is tracked. */
const strictness = new Map<DataSource, boolean>();
const patchedRunners = new WeakSet<QueryRunner>();
let originalTransaction: EntityManager['transaction'] | undefined;
let restoreClsHost: (() => void) | undefined;

/**
 * Make `dataSource`'s transactions visible to the implicit `onCommit(fn)` (idempotent). Each
 * QueryRunner the DataSource creates enters its transaction into the caller's async context
 * when `startTransaction()` is called; `EntityManager.transaction()` is confined so the
 * transaction it opens is seen by its callback only, not by the code that called it. Undo
 * with `untrackTransactions(dataSource)`.
 * @publicApi
 */
export function trackTransactions(
  dataSource: DataSource,
  options: { strict?: boolean } = {},
): void {
  if (options.strict !== undefined) strictness.set(dataSource, options.strict);
  if (tracked.has(dataSource)) return;
  const ownCreate = Object.prototype.hasOwnProperty.call(dataSource, 'createQueryRunner');
  const create = dataSource.createQueryRunner;
  dataSource.createQueryRunner = function (this: DataSource, ...args) {
    const queryRunner = create.apply(this, args);
    patchRunner(queryRunner);
    return queryRunner;
  };
  tracked.set(dataSource, () => {
    if (ownCreate) dataSource.createQueryRunner = create;
    else delete (dataSource as { createQueryRunner?: unknown }).createQueryRunner;
  });
  if (tracked.size === 1) {
    confineManagerTransactions();
    restoreClsHost = honorClsSuspensions(runSuspended);
  }
}

/** Restore what `trackTransactions(dataSource)` changed. @publicApi */
export function untrackTransactions(dataSource: DataSource): void {
  const restore = tracked.get(dataSource);
  if (!restore) return;
  restore();
  tracked.delete(dataSource);
  strictness.delete(dataSource);
  if (tracked.size === 0 && originalTransaction) {
    EntityManager.prototype.transaction = originalTransaction;
    originalTransaction = undefined;
    restoreClsHost?.();
    restoreClsHost = undefined;
  }
}

/**
 * The `strict` the registering modules asked for (`forRoot({ typeorm: { strict } })`), while
 * their DataSources are tracked: that of `dataSource` when it is tracked (undefined when its
 * module did not say), else true when any asked for strict, undefined when none said.
 * It ends with the module (`untrackTransactions` at shutdown), so it never outlives the app.
 */
export function trackedStrictness(dataSource?: DataSource): boolean | undefined {
  if (dataSource && tracked.has(dataSource)) return strictness.get(dataSource);
  let result: boolean | undefined;
  for (const strict of strictness.values()) result = result || strict;
  return result;
}

/** True while the transactions of at least one DataSource are tracked. */
export function isAnyTracked(): boolean {
  return tracked.size > 0;
}

/** True while `dataSource`'s transactions are tracked. */
export function isTracked(dataSource: DataSource): boolean {
  return tracked.has(dataSource);
}

/** The innermost active tracked transaction's manager (of `dataSource`, when given). */
export function currentTrackedManager(dataSource?: DataSource): EntityManager | undefined {
  let suspended: Set<DataSource> | undefined;
  for (let level = trackedTransactions.getStore(); level; level = level.parent) {
    if (level.suspends) (suspended ??= new Set()).add(level.suspends);
    const queryRunner = level.queryRunner;
    // Released with its transaction still active: its connection was lost (TypeORM's PostgreSQL
    // runner releases itself on a client error) before COMMIT. It is still this code's
    // transaction, one that will never commit: onCommit() must see it, not run at once.
    if (!queryRunner?.isTransactionActive) continue;
    if (dataSource && queryRunner.connection !== dataSource) continue;
    if (level.untracked && !dataSource) continue;
    if (suspended?.has(queryRunner.connection)) continue;
    return queryRunner.manager;
  }
  return undefined;
}

/** Run `fn` outside the transactions of `dataSource` opened so far in this context. */
export function runSuspended<T>(dataSource: DataSource, fn: () => T): T {
  return trackedTransactions.run(
    { suspends: dataSource, parent: trackedTransactions.getStore() },
    fn,
  );
}

function patchRunner(queryRunner: QueryRunner): void {
  // The sqljs driver hands out one runner for the whole DataSource: patch it once.
  if (patchedRunners.has(queryRunner)) return;
  patchedRunners.add(queryRunner);
  const start = queryRunner.startTransaction;
  queryRunner.startTransaction = function (this: QueryRunner, ...args) {
    const parent = withoutFinished(trackedTransactions.getStore());
    const started = start.apply(this, args);
    if (tracked.has(this.connection)) {
      // NOTE: enterWith, not run: a manual `await qr.startTransaction()` has no callback to run
      // in, so the transaction is entered into the caller's context until it ends (the resolver
      // skips finished levels). EntityManager.transaction() confines this with run() below.
      trackedTransactions.enterWith({ queryRunner: this, parent });
    }
    return started;
  };
  const commit = queryRunner.commitTransaction;
  queryRunner.commitTransaction = function (this: QueryRunner, ...args) {
    try {
      checkCommit(this);
    } catch (error) {
      return Promise.reject(error);
    }
    return commit.apply(this, args);
  };
  const rollback = queryRunner.rollbackTransaction;
  queryRunner.rollbackTransaction = function (this: QueryRunner, ...args) {
    clearOnRollback(this);
    return rollback.apply(this, args);
  };
}

/**
 * `level` without the finished transactions on top of it: a loop of manual transactions in one
 * async function would otherwise chain one dead level per iteration (memory, and a longer walk
 * for every `onCommit`).
 */
function withoutFinished(level: TrackedTransaction | undefined): TrackedTransaction | undefined {
  while (
    level?.queryRunner &&
    (!level.queryRunner.isTransactionActive || level.queryRunner.isReleased)
  )
    level = level.parent;
  return level;
}

function confineManagerTransactions(): void {
  if (originalTransaction) return;
  const original = EntityManager.prototype.transaction;
  originalTransaction = original;
  EntityManager.prototype.transaction = function (this: EntityManager, ...args: unknown[]) {
    const apply = original as (...a: unknown[]) => Promise<unknown>;
    const call = (): Promise<unknown> => apply.apply(this, args);
    if (!tracked.has(this.connection)) return apply.apply(this, noteUntracked(args));
    // startTransaction() runs in transaction()'s synchronous prefix: without this scope its
    // enterWith would leak into the caller (and its siblings) after transaction() returns.
    // A new level object each time: run() with the current store would not restore it.
    return trackedTransactions.run({ parent: trackedTransactions.getStore() }, call);
  } as EntityManager['transaction'];
}

/**
 * The arguments of `transaction([isolation,] fn)` of an untracked DataSource, with `fn` run in a
 * level that names its transaction, so `onCommit(fn, { dataSource })` naming that DataSource
 * finds it (the implicit form without `dataSource` still leaves it alone).
 */
function noteUntracked(args: unknown[]): unknown[] {
  const index = args.findIndex((arg) => typeof arg === 'function');
  if (index < 0) return args;
  const fn = args[index] as (manager: EntityManager) => unknown;
  const noted = [...args];
  noted[index] = (manager: EntityManager) =>
    trackedTransactions.run(
      {
        queryRunner: manager.queryRunner,
        untracked: true,
        parent: trackedTransactions.getStore(),
      },
      () => fn(manager),
    );
  return noted;
}
