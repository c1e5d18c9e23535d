import { TaskQueueError } from './task-queue.error.js';

/**
 * `atomic(dataSource, fn, { durable: true })` (or `@Atomic({ durable: true })`) was called inside
 * an active transaction of the same DataSource: a durable block must be the outermost
 * transaction, so that its commit is final when it returns (Django's `atomic(durable=True)`).
 * Nothing was run.
 * @publicApi
 */
export class DurableTransactionError extends TaskQueueError {
  constructor() {
    super(
      'atomic({ durable: true }) cannot be nested in another transaction of the same ' +
        'DataSource: its commit would not be final when it returns. Call it outside any ' +
        'transaction, or drop durable to open a savepoint.',
    );
  }
}
