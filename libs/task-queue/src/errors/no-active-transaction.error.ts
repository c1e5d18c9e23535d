import { TaskQueueError } from './task-queue.error.js';

/**
 * `onCommit()` (or a task's `delayOnCommit()`) was called in strict mode while no database
 * transaction was active, or after the transaction it belonged to had already finished.
 * @publicApi
 */
export class NoActiveTransactionError extends TaskQueueError {
  constructor(
    readonly callbackName: string,
    reason: 'none' | 'finished' = 'none',
  ) {
    super(
      reason === 'finished'
        ? `onCommit(${callbackName}) was called after its transaction had finished (a promise ` +
            `that was not awaited inside the transaction?). Await the work inside the ` +
            `transaction callback, or pass the EntityManager explicitly.`
        : `onCommit(${callbackName}) found no active transaction and strict mode is on. Call it ` +
            `inside atomic() / @Atomic() / @Transactional(), pass the transactional ` +
            `EntityManager explicitly (onCommit(manager, fn)), or pass { strict: false } to run ` +
            `the callback immediately.`,
    );
  }
}
