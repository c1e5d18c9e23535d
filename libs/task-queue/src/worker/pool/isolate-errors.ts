import { IsolatedTaskError, type IsolatedErrorInfo } from '../../errors/isolated-task.error.js';
import { Ignore, Reject, Retry, UnrecoverableError } from '../../errors/task-signals.js';
import { TaskArgumentsError } from '../../errors/task-arguments.error.js';
import { describeThrown } from '../../protocol/thrown-value.js';
import type { TaskOptions } from '../../contracts/task-options.interface.js';
import { shouldAutoretry } from '../retry-policy.js';
import type { IsolateOutcome, SignalInfo } from './isolate-protocol.js';

/** Inside the isolate: what crosses the boundary of an error a handler threw. */
export function errorInfoOf(error: unknown, options?: TaskOptions): IsolatedErrorInfo {
  const { name, message, stack } = describeThrown(error);
  const declared =
    error instanceof Error ? (error as { excType?: unknown; excModule?: unknown }) : {};
  return {
    name,
    message,
    ...(stack ? { stack } : {}),
    ...(typeof declared.excType === 'string' ? { excType: declared.excType } : {}),
    ...(typeof declared.excModule === 'string' ? { excModule: declared.excModule } : {}),
    ...(options && shouldAutoretry(options, error) ? { autoretry: true } : {}),
  };
}

/** Inside the isolate: a control-flow signal, or undefined for an ordinary error. */
export function signalOf(error: unknown): SignalInfo | undefined {
  if (error instanceof Retry) {
    const { countdown, eta, maxRetries } = error.options;
    return {
      kind: 'retry',
      countdown,
      eta,
      maxRetries,
      ...(error.options.error !== undefined ? { error: errorInfoOf(error.options.error) } : {}),
    };
  }
  if (error instanceof Reject)
    return { kind: 'reject', reason: error.reason, requeue: error.requeue };
  if (error instanceof Ignore) return { kind: 'ignore', reason: error.message };
  if (error instanceof UnrecoverableError) return { kind: 'unrecoverable', message: error.message };
  if (error instanceof TaskArgumentsError) {
    return {
      kind: 'arguments',
      message: error.message,
      excType: error.excType,
      issues: [...error.issues],
    };
  }
  return undefined;
}

/** In the worker: the error to settle a task with, rebuilt from an isolate's outcome. */
export function rebuildError(outcome: IsolateOutcome): unknown {
  const signal = outcome.signal;
  if (!signal) return new IsolatedTaskError(outcome.error ?? { name: 'Error', message: 'unknown' });
  switch (signal.kind) {
    case 'retry':
      return new Retry({
        countdown: signal.countdown,
        eta: signal.eta,
        maxRetries: signal.maxRetries,
        ...(signal.error ? { error: new IsolatedTaskError(signal.error) } : {}),
      });
    case 'reject':
      return new Reject(signal.reason, signal.requeue);
    case 'ignore':
      return new Ignore(signal.reason);
    case 'unrecoverable':
      return new UnrecoverableError(signal.message);
    case 'arguments':
      return new TaskArgumentsError(
        signal.message,
        signal.excType === 'ValidationError' ? 'ValidationError' : 'TypeError',
        signal.issues,
      );
  }
}

/**
 * The stack of an error raised by the supervisor says nothing about the task (the code that
 * ran is gone): keep its first line only, which also spares formatting it on the hot path.
 */
export function withoutStack<T extends Error>(error: T): T {
  error.stack = `${error.name}: ${error.message}`;
  return error;
}
