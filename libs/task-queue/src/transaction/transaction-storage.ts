import { AsyncLocalStorage } from 'node:async_hooks';
import type { DataSource, EntityManager } from 'typeorm';

/** What `atomic()` stores: the innermost transactional manager, per DataSource. */
export interface TransactionStore {
  readonly current: EntityManager;
  readonly byDataSource: ReadonlyMap<DataSource, EntityManager>;
}

/**
 * Celeriac's own transaction context. Only ever entered with `run()` (never `enterWith`), and
 * every nesting level gets a new store object, so sibling branches cannot see each other's
 * manager.
 */
export const transactionStorage = new AsyncLocalStorage<TransactionStore>();

/** Run `fn` with `manager` as the current transaction of `dataSource`. */
export function runWithManager<T>(dataSource: DataSource, manager: EntityManager, fn: () => T): T {
  const parent = transactionStorage.getStore();
  const byDataSource = new Map(parent?.byDataSource);
  byDataSource.set(dataSource, manager);
  return transactionStorage.run({ current: manager, byDataSource }, fn);
}
