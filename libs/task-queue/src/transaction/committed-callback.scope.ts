import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Set while the callbacks of a committed transaction run (`onCommit` after COMMIT), so that in
 * outbox mode a `task.delay()` written inside `onCommit(() => …)` goes through the outbox too.
 * No TypeORM import here: the producer side loads it without TypeORM.
 */
export const committedCallbackScope = new AsyncLocalStorage<true>();

/**
 * True inside the callbacks of a committed transaction. There `onCommit()` and
 * `delayOnCommit()` run at once, even in strict mode: the transaction they follow has committed
 * (Django runs `on_commit` inside a callback at once too).
 */
export function inCommittedCallback(): boolean {
  return committedCallbackScope.getStore() === true;
}
