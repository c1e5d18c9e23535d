import { TaskQueueError } from './task-queue.error.js';

/**
 * A task was to be written to the outbox in a transaction that MySQL/MariaDB had already rolled
 * back (a deadlock, or MariaDB's snapshot-isolation conflict ER_CHECKREAD, whose error was
 * caught): the row would have been committed on its own, for data that does not exist. Nothing
 * was written. Let that error propagate and retry the whole transaction. Also thrown when the
 * transaction's connection was lost before its COMMIT (`reason: 'connection-lost'`).
 * @publicApi
 */
export class TransactionRolledBackError extends TaskQueueError {
  constructor(
    readonly task: string,
    /** `connection-lost`: the transaction's connection died before its COMMIT. */
    readonly reason: 'caught-error' | 'connection-lost' = 'caught-error',
  ) {
    super(
      reason === 'connection-lost'
        ? `${task} was not written to the outbox: the database connection of this ` +
            `transaction was lost before its COMMIT, so the server rolled the transaction back ` +
            `(a row written now would be committed on its own). Retry the whole transaction.`
        : `${task} was not written to the outbox: the database had already rolled this ` +
            `transaction back (a deadlock, or a snapshot-isolation conflict "Record has changed ` +
            `since last read", whose error was caught), so the statements that follow it would ` +
            `commit on their own. Let that error propagate and retry the whole transaction.`,
    );
  }
}
