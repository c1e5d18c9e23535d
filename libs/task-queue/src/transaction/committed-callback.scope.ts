import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Set while the callbacks of a committed transaction run (`onCommit` after COMMIT), so that in
 * outbox mode a `task.delay()` written inside `onCommit(() => …)` goes through the outbox too.
 * No TypeORM import here: the producer side loads it without TypeORM.
 */
export const committedCallbackScope = new AsyncLocalStorage<true>();
