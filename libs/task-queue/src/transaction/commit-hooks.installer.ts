import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { CommitHooksSubscriber } from './commit-hooks.subscriber.js';

const logger = new Logger('OnCommit');

/**
 * Attach the `onCommit` subscriber to an initialized DataSource (idempotent). Returns false
 * (and logs what to do) when the DataSource is not initialized yet: `initialize()` replaces
 * `dataSource.subscribers`, which would silently drop a subscriber pushed earlier.
 * `onCommit(manager, fn)` also installs it lazily on first use.
 * @publicApi
 */
export function installCommitHooks(dataSource: DataSource): boolean {
  if (!dataSource.isInitialized) {
    logger.error(
      'installCommitHooks() was called before dataSource.initialize(): initialize() replaces ' +
        'the subscriber list. Call it after initialization, or add CommitHooksSubscriber to ' +
        'DataSourceOptions.subscribers.',
    );
    return false;
  }
  if (!hasCommitHooks(dataSource)) dataSource.subscribers.push(new CommitHooksSubscriber());
  return true;
}

/** True when a CommitHooksSubscriber is attached to `dataSource`. */
export function hasCommitHooks(dataSource: DataSource): boolean {
  return dataSource.subscribers.some((subscriber) => subscriber instanceof CommitHooksSubscriber);
}
