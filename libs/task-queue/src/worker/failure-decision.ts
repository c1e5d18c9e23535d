import type { TaskOptions } from '../contracts/task-options.interface.js';
import { MaxRetriesExceededError } from '../errors/max-retries-exceeded.error.js';
import { TaskArgumentsError } from '../errors/task-arguments.error.js';
import { TaskQueueError } from '../errors/task-queue.error.js';
import { isValidDate, secondsProblem, shownValue as shown } from '../utils/timing-values.js';
import {
  Ignore,
  Reject,
  Retry,
  type RetryOptions,
  UnrecoverableError,
} from '../errors/task-signals.js';
import { TimeLimitExceededError } from '../errors/time-limit.error.js';
import { WorkerLostError } from '../errors/worker-lost.error.js';
import type { TaskRequest } from '../protocol/task-request.js';
import { maxRetriesOf, shouldAutoretry } from './retry-policy.js';

/** What becomes of a task attempt that did not succeed; {@link TaskOutcomes} carries it out. */
export type FailureDecision =
  /** `Ignore`: ack (acks-late) and record nothing. */
  | { kind: 'ignore' }
  /** The isolate died and the task has `acksLate` + `rejectOnWorkerLost`: requeue the message. */
  | { kind: 'requeue-lost'; error: WorkerLostError }
  /** `Reject`: dead-letter the message, or requeue it. */
  | { kind: 'reject'; signal: Reject }
  /** `Retry`, or an error `autoretryFor` retries, with retries left: publish the next attempt. */
  | { kind: 'retry'; options: RetryOptions; cause: unknown }
  /** A retry with no retries left: FAILURE with `error`, then dead-letter (acks-late). */
  | { kind: 'exhausted'; error: unknown; max: number }
  /** Any other error: FAILURE. */
  | { kind: 'fail'; error: unknown };

/**
 * Decide, from the error alone, the task's options and the request's retry count, what happens
 * to a failed attempt (Celery's trace error handling). Pure: no I/O.
 */
export function decideFailure(
  error: unknown,
  options: TaskOptions,
  request: Pick<TaskRequest, 'id' | 'name' | 'retries'>,
  acksLate: boolean,
): FailureDecision {
  if (error instanceof Ignore) return { kind: 'ignore' };
  if (error instanceof WorkerLostError && acksLate && options.rejectOnWorkerLost) {
    return { kind: 'requeue-lost', error };
  }
  if (error instanceof Reject) return { kind: 'reject', signal: error };
  const invalid = error instanceof Retry ? invalidRetry(error.options) : undefined;
  if (invalid) {
    // Celery fails the task with the error its retry's apply_async raised (OverflowError).
    return {
      kind: 'fail',
      error: new TaskQueueError(`Cannot retry ${request.name}[${request.id}]: ${invalid}.`, {
        cause: error,
      }),
    };
  }
  const retry: RetryOptions | undefined =
    error instanceof Retry
      ? error.options
      : !(error instanceof UnrecoverableError) &&
          !(error instanceof TaskArgumentsError) &&
          !raisedByWorker(error) &&
          shouldAutoretry(options, error)
        ? { error }
        : undefined;
  if (!retry) return { kind: 'fail', error };
  const max = maxRetriesOf(options, retry.maxRetries);
  const cause = retry.error ?? error;
  if (max === null || request.retries < max) return { kind: 'retry', options: retry, cause };
  const final =
    retry.error !== undefined
      ? retry.error
      : new MaxRetriesExceededError(request.name, request.id, max, { cause });
  return { kind: 'exhausted', error: final, max };
}

/**
 * Errors the worker raises about a task, not the handler (Celery's parent process): a lost
 * isolate, a hard time limit. `autoretryFor` wraps the handler in Celery, so it never sees them.
 */
function raisedByWorker(error: unknown): boolean {
  return error instanceof WorkerLostError || error instanceof TimeLimitExceededError;
}

/**
 * Why a Retry's `countdown`, `eta` or `maxRetries` cannot be honoured, or undefined. Was: the
 * next attempt's date threw "Invalid time value" while the retry was published, and the task
 * was stored as a FAILURE named Retry.
 */
export function invalidRetry(options: RetryOptions, now = Date.now()): string | undefined {
  const { countdown, eta, maxRetries } = options;
  if (countdown !== undefined && countdown !== null) {
    const why = secondsProblem(countdown, now);
    if (why) return why.startsWith('of ') ? `a countdown ${why}` : `countdown ${why}`;
  }
  if (eta !== undefined && eta !== null && !isValidDate(eta)) {
    return `eta must be a valid Date; got ${shown(eta)}`;
  }
  if (maxRetries !== undefined && maxRetries !== null) {
    if (typeof maxRetries !== 'number' || Number.isNaN(maxRetries)) {
      return `maxRetries must be a number or null; got ${shown(maxRetries)}`;
    }
  }
  return undefined;
}
