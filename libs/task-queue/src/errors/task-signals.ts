/**
 * Control-flow signals a handler throws to steer the worker. They are not failures and do not
 * extend TaskQueueError: the worker recognises them by class.
 * @publicApi
 */
export interface RetryOptions {
  /** Seconds to wait before the next attempt. */
  countdown?: number;
  eta?: Date;
  /** Overrides the task's maxRetries for this decision; `null` retries forever. */
  maxRetries?: number | null;
  /** The error that caused the retry; raised if retries are exhausted. */
  error?: unknown;
}

/**
 * Base of the control-flow signals (Celery's `TaskPredicate`): `Retry`, `Reject`, `Ignore` and
 * `UnrecoverableError`. Catch it to let every signal through a handler's own error handling.
 * @publicApi
 */
export abstract class TaskSignal extends Error {}

/** Re-run the task later with `retries + 1` (Celery's `self.retry()`). */
export class Retry extends TaskSignal {
  /** Celery's module on the wire: a RETRY's `info` is `celery.exceptions.Retry` in Python. */
  readonly excModule = 'celery.exceptions';

  constructor(readonly options: RetryOptions = {}) {
    super('Task asked to be retried');
    this.name = 'Retry';
  }
}

/** Reject the message: dead-letter it (or requeue with `requeue: true`). Celery's `Reject`. */
export class Reject extends TaskSignal {
  constructor(
    readonly reason: string,
    readonly requeue = false,
  ) {
    super(reason);
    this.name = 'Reject';
  }
}

/** Ack the message and record nothing (Celery's `Ignore`). */
export class Ignore extends TaskSignal {
  constructor(reason = 'Task ignored') {
    super(reason);
    this.name = 'Ignore';
  }
}

/** Fail now, without the automatic retries `autoretryFor` would apply. */
export class UnrecoverableError extends TaskSignal {
  constructor(message: string) {
    super(message);
    this.name = 'UnrecoverableError';
  }
}
