import type { DataSource, EntityManager } from 'typeorm';
import { DurableTransactionError } from '../errors/durable-transaction.error.js';
import type { IsolationLevel } from 'typeorm/driver/types/IsolationLevel.js';
import { installCommitHooks } from './commit-hooks.installer.js';
import { commitHooksRunner } from './commit-hooks.runner.js';
import { resolveCurrentManager } from './on-commit.js';
import { getTransactionHost, isEntityManagerLike } from './resolvers/nestjs-cls.loader.js';
import { markRollbackOnly } from './rollback-only.js';
import { runWithManager } from './transaction-storage.js';

/** Options of `atomic()`. @publicApi */
export interface AtomicOptions {
  isolationLevel?: IsolationLevel;
  /**
   * Inside an active transaction of the same DataSource: true (default) opens a SAVEPOINT, so a
   * failure rolls back (and drops the callbacks of) this block only; false just joins.
   */
  savepoint?: boolean;
  /**
   * Django's `durable=True`: must be the outermost transaction. Inside an active transaction of
   * the same DataSource the call rejects with `DurableTransactionError` and runs nothing.
   */
  durable?: boolean;
  /** `@nestjs-cls/transactional` connection name when several TransactionHosts exist. */
  connectionName?: string;
}

/**
 * Django's `transaction.atomic` for TypeORM: run `fn` in a transaction that the implicit
 * `onCommit(fn)` sees. Inside any active transaction of the same DataSource (another `atomic()`,
 * `dataSource.transaction()`, `@Transactional()`...) it opens a savepoint of that transaction.
 * When `@nestjs-cls/transactional` is set up for this DataSource the transaction is opened
 * through its TransactionHost, so `@Transactional()` code called inside joins it (and `txHost.tx`
 * is this transaction). The outermost call resolves after the commit AND after the
 * transaction's `onCommit` callbacks ran; the error of a non-robust callback is rethrown here
 * (the data stays committed), as Django does.
 * @publicApi
 */
export async function atomic<T>(
  dataSource: DataSource,
  fn: (manager: EntityManager) => Promise<T>,
  options: AtomicOptions = {},
): Promise<T> {
  const parent = resolveCurrentManager({ dataSource, connectionName: options.connectionName });
  const host = clsHostOf(dataSource, options.connectionName);
  if (parent?.queryRunner?.isTransactionActive) {
    if (options.durable) throw new DurableTransactionError();
    if (options.savepoint === false) return joinWithoutSavepoint(dataSource, parent, fn);
    const nested = (): Promise<T> =>
      parent.transaction((manager) => runWithManager(dataSource, manager, () => fn(manager)));
    // Keep txHost.tx in step with the savepoint when the parent is the host's transaction.
    return host?.isTransactionActive() && host.tx === parent
      ? host.withTransaction('NESTED', {}, () => fnWithHostTx(host, dataSource, fn))
      : nested();
  }
  installCommitHooks(dataSource);
  let queryRunner: EntityManager['queryRunner'];
  const body = (manager: EntityManager): Promise<T> => {
    queryRunner = manager.queryRunner;
    return runWithManager(dataSource, manager, () => fn(manager));
  };
  const isolation = options.isolationLevel ? { isolationLevel: options.isolationLevel } : {};
  const result = host
    ? await host.withTransaction('REQUIRED', isolation, () => {
        const manager = host.tx as EntityManager;
        return body(manager);
      })
    : options.isolationLevel
      ? await dataSource.transaction(options.isolationLevel, body)
      : await dataSource.transaction(body);
  const callbacks = queryRunner && commitHooksRunner.takeCompletion(queryRunner);
  if (callbacks) await callbacks;
  return result;
}

/**
 * `{ savepoint: false }`: run in the parent's level. On failure the parent level can no longer
 * commit (Django's `needs_rollback`): its commit is turned into a rollback.
 */
async function joinWithoutSavepoint<T>(
  dataSource: DataSource,
  parent: EntityManager,
  fn: (manager: EntityManager) => Promise<T>,
): Promise<T> {
  try {
    return await runWithManager(dataSource, parent, () => fn(parent));
  } catch (error) {
    if (parent.queryRunner) markRollbackOnly(parent.queryRunner, error);
    throw error;
  }
}

function fnWithHostTx<T>(
  host: NonNullable<ReturnType<typeof clsHostOf>>,
  dataSource: DataSource,
  fn: (manager: EntityManager) => Promise<T>,
): Promise<T> {
  const manager = host.tx as EntityManager;
  return runWithManager(dataSource, manager, () => fn(manager));
}

/** The `@nestjs-cls/transactional` host whose TypeORM adapter uses `dataSource`, if any. */
function clsHostOf(dataSource: DataSource, connectionName?: string) {
  const host = getTransactionHost(connectionName);
  if (!host) return undefined;
  try {
    // Outside a transaction `tx` is the adapter's fallback: the DataSource's own manager.
    const tx = host.tx;
    return isEntityManagerLike(tx) && tx.connection === dataSource ? host : undefined;
  } catch {
    // No CLS context active: the host cannot be used here.
    return undefined;
  }
}
