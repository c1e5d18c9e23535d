import { TaskQueueError } from './task-queue.error.js';

/** The hard time limit was reached; the task failed. Celery: `TimeLimitExceeded`. @publicApi */
export class TimeLimitExceededError extends TaskQueueError {
  /** Celery's class and module on the wire: Python's `except TimeLimitExceeded` catches it. */
  readonly excType = 'TimeLimitExceeded';
  readonly excModule = 'celery.exceptions';

  constructor(readonly seconds: number) {
    super(`Hard time limit (${seconds} s) exceeded.`);
  }
}

/**
 * Raised inside a handler (through its AbortSignal) when the soft time limit is reached: the
 * handler may catch it to clean up. Celery: `SoftTimeLimitExceeded`. @publicApi
 */
export class SoftTimeLimitExceededError extends TaskQueueError {
  /** Celery's class and module on the wire: Python's `except SoftTimeLimitExceeded` catches it. */
  readonly excType = 'SoftTimeLimitExceeded';
  readonly excModule = 'celery.exceptions';

  constructor(readonly seconds: number) {
    super(`Soft time limit (${seconds} s) exceeded.`);
  }
}
