import { TaskQueueError } from './task-queue.error.js';

/** The on-commit APIs that send a task; `onCommit` itself is the default. */
export type OnCommitApi = 'onCommit' | 'delayOnCommit' | 'applyAsyncOnCommit';

/**
 * `onCommit()`, a task's `delayOnCommit()` / `applyAsyncOnCommit()` or a canvas's
 * `applyAsyncOnCommit()` was called in strict mode while no database transaction was active,
 * or after the transaction it belonged to had already finished. The message names the API
 * that was called (`api`) and the callback or task (`callbackName`, `<task>[<id>]`).
 * @publicApi
 */
export class NoActiveTransactionError extends TaskQueueError {
  constructor(
    readonly callbackName: string,
    reason: 'none' | 'finished' = 'none',
    readonly api: OnCommitApi = 'onCommit',
  ) {
    super(
      api === 'onCommit'
        ? onCommitMessage(callbackName, reason)
        : sendMessage(api, callbackName, reason),
    );
  }
}

function onCommitMessage(callbackName: string, reason: 'none' | 'finished'): string {
  return reason === 'finished'
    ? `onCommit(${callbackName}) was called after its transaction had finished (a promise ` +
        `that was not awaited inside the transaction?). Await the work inside the ` +
        `transaction callback, or pass the EntityManager explicitly.`
    : `onCommit(${callbackName}) found no active transaction and strict mode is on. Call it ` +
        `inside atomic() / @Atomic() / @Transactional(), pass the transactional ` +
        `EntityManager explicitly (onCommit(manager, fn)), or pass { strict: false } to run ` +
        `the callback immediately.`;
}

function sendMessage(api: OnCommitApi, task: string, reason: 'none' | 'finished'): string {
  return reason === 'finished'
    ? `${api}() of ${task} was called after its transaction had finished (a promise that was ` +
        `not awaited inside the transaction?); nothing was sent. Await it inside the ` +
        `transaction callback, or pass that transaction's EntityManager explicitly ` +
        `(applyAsyncOnCommit(args, { manager }), producer.using({ manager }).delayOnCommit()).`
    : `${api}() of ${task} found no active transaction and strict mode is on; nothing was ` +
        `sent. Call it inside a transaction of the DataSource given to TaskQueueModule's ` +
        `typeorm option (dataSource.transaction(), atomic() / @Atomic() / @Transactional()), ` +
        `pass the transaction's EntityManager (applyAsyncOnCommit(args, { manager }), ` +
        `producer.using({ manager }).delayOnCommit()), or set typeorm: { strict: false } to ` +
        `send at once when there is no transaction.`;
}
