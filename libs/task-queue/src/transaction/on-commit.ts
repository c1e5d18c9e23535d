import { Logger } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { NoActiveTransactionError } from '../errors/no-active-transaction.error.js';
import { attachCommitHooksSubscriber, hasCommitHooks } from './commit-hooks.installer.js';
import { commitHooksRegistry } from './commit-hooks.registry.js';
import { commitHooksRunner } from './commit-hooks.runner.js';
import { inCommittedCallback } from './committed-callback.scope.js';
import { captureStorage } from './on-commit-capture.js';
import { getOnCommitConfig } from './on-commit.config.js';
import { isAnyTracked, isTracked, trackedStrictness } from './transaction-tracking.js';
import type {
  ImplicitOnCommitOptions,
  OnCommitCallback,
  OnCommitOptions,
} from './on-commit.types.js';

const logger = new Logger('OnCommit');

/**
 * Run `fn` after the outermost commit of `manager`'s transaction (Django's
 * `transaction.on_commit`). Inside a transaction the returned promise resolves at once; the
 * callback runs later, after the connection is released, outside the transaction's context.
 * Callbacks registered in a savepoint that rolls back are dropped; a rollback drops them all.
 * Without an active transaction `fn` runs now and the promise settles when it finishes; in
 * strict mode the promise rejects with `NoActiveTransactionError` instead.
 * @publicApi
 */
export function onCommit(
  manager: EntityManager,
  fn: OnCommitCallback,
  options?: OnCommitOptions,
): Promise<void>;
/**
 * Implicit form (Django's): finds the innermost active transaction of the current async context
 * through the configured resolvers: any transaction of a DataSource registered with the module
 * (or `installCommitHooks()`), however it was opened; then `atomic()`'s context and
 * `@nestjs-cls/transactional`'s for other DataSources.
 * @publicApi
 */
export function onCommit(fn: OnCommitCallback, options?: ImplicitOnCommitOptions): Promise<void>;
export function onCommit(
  first: EntityManager | OnCommitCallback,
  second?: OnCommitCallback | ImplicitOnCommitOptions,
  third?: OnCommitOptions,
): Promise<void> {
  if (isCallback(first)) {
    const options = (second as ImplicitOnCommitOptions | undefined) ?? {};
    return register(resolveCurrentManager(options), first, options);
  }
  return register(first, second as OnCommitCallback, third ?? {});
}

/** The transactional manager the implicit form would use, or undefined. @publicApi */
export function resolveCurrentManager(
  options: ImplicitOnCommitOptions = {},
): EntityManager | undefined {
  const query = { dataSource: options.dataSource, connectionName: options.connectionName };
  for (const resolver of getOnCommitConfig().resolvers) {
    const manager = resolver.resolve(query);
    if (manager) return manager;
  }
  return undefined;
}

function register(
  manager: EntityManager | undefined,
  fn: OnCommitCallback,
  options: ImplicitOnCommitOptions,
): Promise<void> {
  const entry = {
    fn,
    robust: options.robust ?? false,
    name: options.name ?? (fn.name || 'anonymous callback'),
  };
  const capture = captureStorage.getStore();
  const record = capture ? { entry, dropped: false } : undefined;
  if (capture && record) capture.records.push(record);
  const source = manager?.connection ?? options.dataSource;
  const strict =
    !inCommittedCallback() &&
    (options.strict ?? trackedStrictness(source) ?? getOnCommitConfig().strict);
  const queryRunner = manager?.queryRunner;
  if (queryRunner?.isTransactionActive) {
    // Released with its transaction active: the connection died before COMMIT (TypeORM's
    // PostgreSQL runner releases itself on a client error). The transaction will never commit.
    if (queryRunner.isReleased) return dropLost(entry.name, record);
    const dataSource = queryRunner.connection;
    if (!hasCommitHooks(dataSource)) attachCommitHooksSubscriber(dataSource);
    commitHooksRegistry.register(queryRunner, { ...entry, capture: record });
    return Promise.resolve();
  }
  // A released runner means the transaction this manager belonged to is over: typically a
  // promise that was not awaited inside the transaction.
  const late = queryRunner?.isReleased === true && !inCommittedCallback();
  const named = options.dataSource;
  if (!manager && named && isAnyTracked() && !isTracked(named))
    warnUntrackedDataSource(named, entry.name);
  if (strict) {
    if (record) record.dropped = true;
    // Logged, and not an unhandled rejection: `onCommit(() => task.delay())` is written without
    // `await`, and one refused call must not crash the whole process. An awaiting caller gets it.
    const refused = new NoActiveTransactionError(entry.name, late ? 'finished' : 'none');
    logger.error(`NO_ACTIVE_TRANSACTION: ${refused.message} Nothing was run.`, refused.stack);
    const rejected = Promise.reject(refused);
    rejected.catch(() => undefined);
    return rejected;
  }
  if (late) {
    logger.warn(
      `LATE_ON_COMMIT: onCommit(${entry.name}) was called after its transaction had finished ` +
        `(a promise not awaited inside the transaction?). Running it now.`,
    );
  }
  // Captured: it would run now; the capture scope records it instead.
  if (record) return Promise.resolve();
  if (!manager && !isAnyTracked()) warnUntracked(entry.name);
  const ran = commitHooksRunner.runOne(entry, 'immediate');
  // Written the Django way, `onCommit(() => task.delay())` is not awaited: a failure is logged
  // by the runner and must not also crash the process as an unhandled rejection. A caller that
  // awaits still gets it.
  ran.catch(() => undefined);
  return ran;
}

/** A callback of a transaction whose connection was lost: never run, said once per call. */
function dropLost(name: string, record: { dropped: boolean } | undefined): Promise<void> {
  if (record) record.dropped = true;
  logger.error(
    `CONNECTION_LOST: onCommit(${name}) was called in a transaction whose database connection ` +
      `was lost before its COMMIT: the server rolled it back, so the callback will not run.`,
  );
  return Promise.resolve();
}

let warnedUntracked = false;

/**
 * The implicit form with no DataSource tracked cannot see any transaction, so a callback
 * written inside `dataSource.transaction()` runs before the COMMIT: almost always a forgotten
 * `typeorm: { dataSource }`. Said once per process.
 */
function warnUntracked(name: string): void {
  if (warnedUntracked) return;
  warnedUntracked = true;
  logger.warn(
    `UNTRACKED_ON_COMMIT: onCommit(${name}) ran at once: no TypeORM DataSource is tracked, so ` +
      `a transaction around this call is not seen and the callback did not wait for its ` +
      `COMMIT. Give TaskQueueModule your DataSource: forRootAsync({ inject: [DataSource], ` +
      `useFactory: (dataSource) => ({ typeorm: { dataSource } }) }), or call ` +
      `installCommitHooks(dataSource) where there is no module (scripts). Logged once.`,
  );
}

const warnedDataSources = new WeakSet<DataSource>();

/**
 * `onCommit(fn, { dataSource })` names a DataSource whose transactions are not tracked: only the
 * callbacks of its `transaction()` are seen, so another form of transaction around the call
 * (a QueryRunner driven by hand, `save()`'s own) was missed. Said once per DataSource.
 */
function warnUntrackedDataSource(dataSource: DataSource, name: string): void {
  if (warnedDataSources.has(dataSource)) return;
  warnedDataSources.add(dataSource);
  // @nestjs/typeorm keeps the data source's name in its options (not in TypeORM's types).
  const alias = (dataSource.options as { name?: unknown }).name;
  const which = typeof alias === 'string' ? `"${alias}"` : `(${dataSource.options.type})`;
  const inject =
    typeof alias === 'string' ? `@InjectDataSource('${alias}')` : '@InjectDataSource()';
  logger.warn(
    `UNTRACKED_DATA_SOURCE: onCommit(${name}, { dataSource }) ran at once: no transaction of ` +
      `DataSource ${which} was found, and its transactions are not tracked, so only those ` +
      `opened with dataSource.transaction() / manager.transaction() are seen (not a ` +
      `QueryRunner you drive, nor the implicit transaction of save()). Track it once it is ` +
      `initialized: installCommitHooks(dataSource) (with @nestjs/typeorm, in onModuleInit of a ` +
      `provider that injects it with ${inject}), or pass the transaction's manager: ` +
      `onCommit(manager, fn). Logged once per DataSource.`,
  );
}

/** Test seam: log the untracked warning again. */
export function resetUntrackedWarning(): void {
  warnedUntracked = false;
}

function isCallback(value: EntityManager | OnCommitCallback): value is OnCommitCallback {
  return (
    typeof value === 'function' &&
    typeof (value as { transaction?: unknown }).transaction !== 'function'
  );
}
