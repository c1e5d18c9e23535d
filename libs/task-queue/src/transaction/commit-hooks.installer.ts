import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { CommitHooksSubscriber } from './commit-hooks.subscriber.js';
import { readRollbackOnTimeout } from './rollback-on-timeout.js';
import { trackTransactions, untrackTransactions } from './transaction-tracking.js';

const logger = new Logger('OnCommit');

/**
 * Tie `onCommit` to an initialized DataSource (idempotent): attach the commit-hooks subscriber
 * and track its transactions, so the implicit `onCommit(fn)` / `delayOnCommit()` find any
 * transaction of it, however it was opened. Returns false (and logs what to do) when the
 * DataSource is not initialized yet: `initialize()` replaces `dataSource.subscribers`, which
 * would silently drop a subscriber pushed earlier. `TaskQueueModule` does this for its
 * `typeorm.dataSource`; undo it with `uninstallCommitHooks()`.
 * @publicApi
 */
export function installCommitHooks(
  dataSource: DataSource,
  options: { strict?: boolean } = {},
): boolean {
  if (!attachCommitHooksSubscriber(dataSource)) return false;
  trackTransactions(dataSource, options);
  return true;
}

/** Undo `installCommitHooks()`: detach the subscriber and stop tracking transactions. @publicApi */
export function uninstallCommitHooks(dataSource: DataSource): void {
  untrackTransactions(dataSource);
  const index = dataSource.subscribers.findIndex((s) => s instanceof CommitHooksSubscriber);
  if (index >= 0) dataSource.subscribers.splice(index, 1);
}

/**
 * Attach only the subscriber (what `onCommit(manager, fn)` does on first use with a DataSource
 * the app did not register): the explicit form works, the implicit one does not track it.
 */
export function attachCommitHooksSubscriber(dataSource: DataSource): boolean {
  if (!dataSource.isInitialized) {
    logger.error(
      'installCommitHooks() was called before dataSource.initialize(): initialize() replaces ' +
        'the subscriber list. Call it after initialization, or add CommitHooksSubscriber to ' +
        'DataSourceOptions.subscribers.',
    );
    return false;
  }
  if (!hasCommitHooks(dataSource)) {
    dataSource.subscribers.push(new CommitHooksSubscriber());
    void readRollbackOnTimeout(dataSource);
  }
  return true;
}

/** True when a CommitHooksSubscriber is attached to `dataSource`. */
export function hasCommitHooks(dataSource: DataSource): boolean {
  return dataSource.subscribers.some((subscriber) => subscriber instanceof CommitHooksSubscriber);
}
