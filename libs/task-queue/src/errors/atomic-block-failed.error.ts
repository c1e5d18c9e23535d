import { TaskQueueError } from './task-queue.error.js';

/**
 * A block of `atomic(dataSource, fn, { savepoint: false })` failed, and the transaction (or
 * savepoint) it joined was then asked to commit. As Django does for `atomic(savepoint=False)`,
 * the enclosing level is rolled back instead: its writes are undone and its `onCommit`
 * callbacks dropped. `error.cause` is the block's error.
 * @publicApi
 */
export class AtomicBlockFailedError extends TaskQueueError {
  constructor(cause: unknown) {
    super(
      'This transaction was rolled back instead of committed: a block of atomic({ savepoint: ' +
        'false }) failed inside it, and without a savepoint its partial writes cannot be undone ' +
        'alone (Django rolls back the same way). Let the error propagate, or drop ' +
        `savepoint: false so that the failure rolls back only that block. Block error: ${String(cause)}`,
      { cause },
    );
  }
}
