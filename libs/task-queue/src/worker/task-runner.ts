import { InvalidMessageError } from '../errors/invalid-message.error.js';
import { SoftTimeLimitExceededError, TimeLimitExceededError } from '../errors/time-limit.error.js';
import type { TaskRequest } from '../protocol/task-request.js';
import type { TaskDefinition } from '../core/task-definition.js';
import { type RunningTask, taskContextStorage } from './task-context.storage.js';
import type { TaskAbort } from './lazy-abort.js';

/** Time limits in seconds for one run (message values win over the task's options, as in Celery). */
export function limitsOf(
  request: TaskRequest,
  definition: TaskDefinition,
): { hard?: number; soft?: number } {
  const [hard, soft] = request.timeLimit;
  return {
    hard: hard ?? definition.options.timeLimit,
    soft: soft ?? definition.options.softTimeLimit,
  };
}

/**
 * Positional arguments for the handler: the message's args, then keyword arguments bound by
 * the task's `params` names (Python's call semantics). Missing required parameters fail.
 */
export function bindArguments(request: TaskRequest, definition: TaskDefinition): unknown[] {
  const params = definition.options.params ?? [];
  // No named parameters: nothing to bind. The args array is only spread into the call.
  if (params.length === 0 && request.args.length >= definition.arity) return request.args;
  const args = [...request.args];
  for (let i = args.length; i < params.length; i++) {
    const param = params[i]!;
    if (!(param in request.kwargs)) break;
    args.push(request.kwargs[param]);
  }
  const positional = new Set(params.slice(0, request.args.length));
  const doubled = Object.keys(request.kwargs).filter((k) => positional.has(k));
  if (doubled.length) {
    throw new InvalidMessageError(
      `${request.name}() got multiple values for argument(s): ${doubled.join(', ')}.`,
    );
  }
  if (args.length < definition.arity) {
    throw new InvalidMessageError(
      `${request.name}() takes at least ${definition.arity} argument(s), got ${args.length}` +
        (params.length ? ` (params: ${params.join(', ')})` : '') +
        `. Check the caller's arguments.`,
    );
  }
  return args;
}

/**
 * Run a handler in the task's async context with its AbortSignal and time limits. The soft
 * limit aborts the signal with SoftTimeLimitExceededError; the hard limit rejects with
 * TimeLimitExceededError and frees the slot even if the handler ignores the signal (its
 * promise keeps running in the background: JavaScript cannot stop a function from outside).
 * With no limit, a synchronous handler's value comes back as it is (no promise to wait for);
 * a synchronous throw is thrown.
 */
export function runWithLimits(
  handler: (...args: unknown[]) => unknown,
  args: unknown[],
  running: RunningTask,
  controller: TaskAbort,
  limits: { hard?: number; soft?: number },
): unknown {
  // No limit: no race and no timers (the common case, one promise less per task).
  if (!limits.soft && !limits.hard) return callInContext(handler, args, running);
  // The executor runs the handler at once; a synchronous throw becomes the rejection.
  const run = new Promise<unknown>((resolve) => resolve(callInContext(handler, args, running)));
  const timers: NodeJS.Timeout[] = [];
  const race = new Promise<unknown>((resolve, reject) => {
    if (limits.soft) {
      timers.push(
        setTimeout(
          () => controller.abort(new SoftTimeLimitExceededError(limits.soft!)),
          limits.soft * 1000,
        ),
      );
    }
    if (limits.hard) {
      timers.push(
        setTimeout(() => {
          const error = new TimeLimitExceededError(limits.hard!);
          controller.abort(error);
          reject(error);
        }, limits.hard * 1000),
      );
    }
    run.then(resolve, reject);
  });
  return race.finally(() => timers.forEach(clearTimeout));
}

/** Call the handler inside the task's async context, and only there. */
function callInContext(
  handler: (...args: unknown[]) => unknown,
  args: unknown[],
  running: RunningTask,
): unknown {
  return taskContextStorage.run(running, () => handler(...args));
}
