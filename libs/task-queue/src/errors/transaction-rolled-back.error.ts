import { TaskQueueError } from './task-queue.error.js';

/**
 * A task was to be written to the outbox in a transaction that MySQL/MariaDB had already rolled
 * back (a deadlock, or MariaDB's snapshot-isolation conflict ER_CHECKREAD, whose error was
 * caught): the row would have been committed on its own, for data that does not exist. Nothing
 * was written. Let that error propagate and retry the whole transaction.
 * @publicApi
 */
export class TransactionRolledBackError extends TaskQueueError {
  constructor(readonly task: string) {
    super(
      `${task} was not written to the outbox: the database had already rolled this ` +
        `transaction back (a deadlock, or a snapshot-isolation conflict "Record has changed ` +
        `since last read", whose error was caught), so the statements that follow it would ` +
        `commit on their own. Let that error propagate and retry the whole transaction.`,
    );
  }
}
