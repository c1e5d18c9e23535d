import type { DataSource, EntityManager } from 'typeorm';
import type { IsolationLevel } from 'typeorm/driver/types/IsolationLevel.js';
import { installCommitHooks } from './commit-hooks.installer.js';
import { commitHooksRunner } from './commit-hooks.runner.js';
import { runWithManager, transactionStorage } from './transaction-storage.js';

/** Options of `atomic()`. @publicApi */
export interface AtomicOptions {
  isolationLevel?: IsolationLevel;
  /**
   * Inside an active `atomic()` of the same DataSource: true (default) opens a SAVEPOINT, so a
   * failure rolls back (and drops the callbacks of) this block only; false just joins.
   */
  savepoint?: boolean;
}

/**
 * Django's `transaction.atomic` for TypeORM: run `fn` in a transaction that the implicit
 * `onCommit(fn)` sees. Nested calls for the same DataSource open a savepoint. The outermost call
 * resolves after the commit AND after the transaction's `onCommit` callbacks ran; the error of
 * a non-robust callback is rethrown here (the data stays committed), as Django does.
 * @publicApi
 */
export async function atomic<T>(
  dataSource: DataSource,
  fn: (manager: EntityManager) => Promise<T>,
  options: AtomicOptions = {},
): Promise<T> {
  const parent = transactionStorage.getStore()?.byDataSource.get(dataSource);
  if (parent?.queryRunner?.isTransactionActive) {
    if (options.savepoint === false) return fn(parent);
    return parent.transaction((manager) => runWithManager(dataSource, manager, () => fn(manager)));
  }
  installCommitHooks(dataSource);
  let queryRunner: EntityManager['queryRunner'];
  const body = (manager: EntityManager): Promise<T> => {
    queryRunner = manager.queryRunner;
    return runWithManager(dataSource, manager, () => fn(manager));
  };
  const result = options.isolationLevel
    ? await dataSource.transaction(options.isolationLevel, body)
    : await dataSource.transaction(body);
  const callbacks = queryRunner && commitHooksRunner.takeCompletion(queryRunner);
  if (callbacks) await callbacks;
  return result;
}
