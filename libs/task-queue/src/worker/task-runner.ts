import { TaskArgumentsError } from '../errors/task-arguments.error.js';
import type {
  StandardSchemaIssue,
  StandardSchemaResult,
  StandardSchemaV1,
} from '../contracts/standard-schema.interface.js';
import { isThenable } from '../utils/is-thenable.js';
import { SoftTimeLimitExceededError, TimeLimitExceededError } from '../errors/time-limit.error.js';
import type { TaskRequest } from '../protocol/task-request.js';
import type { TaskDefinition } from '../tasks/task-definition.js';
import { type RunningTask, taskContextStorage } from '../tasks/task-context.storage.js';
import { abortReasonOf, type TaskAbort } from './lazy-abort.js';

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
 * the task's `params` names (Python's call semantics: a keyword after a missing one leaves
 * `undefined` in between, so defaults apply). Throws TaskArgumentsError (a Python TypeError)
 * for too many or too few positional arguments, and for unknown or doubled keywords.
 */
export function bindArguments(request: TaskRequest, definition: TaskDefinition): unknown[] {
  const params = definition.options.params;
  const given = request.args.length;
  const max = definition.maxArity ?? null;
  if (!params?.length) {
    // No named parameters: nothing to bind; the args array is only spread into the call.
    if (given >= definition.arity && (max === null || given <= max)) return request.args;
    if (given > max!) throw tooMany(request.name, definition.arity, max!, given);
    throw missing(request.name, [], definition.arity - given);
  }
  if (max !== null && given > max) throw tooMany(request.name, definition.arity, max, given);
  const kwargs = request.kwargs;
  for (const key in kwargs) {
    const at = params.indexOf(key);
    if (at < 0) {
      throw new TaskArgumentsError(
        `${shortName(request.name)}() got an unexpected keyword argument '${key}'`,
      );
    }
    if (at < given) {
      throw new TaskArgumentsError(
        `${shortName(request.name)}() got multiple values for argument '${key}'`,
      );
    }
  }
  const args = [...request.args];
  let last = given;
  for (let i = given; i < params.length; i++) {
    const param = params[i]!;
    if (param in kwargs) {
      args[i] = kwargs[param];
      last = i + 1;
    }
  }
  args.length = last;
  const absent: string[] = [];
  for (let i = given; i < definition.arity; i++) {
    if (!(params[i]! in kwargs)) absent.push(params[i] ?? `#${i + 1}`);
  }
  if (absent.length) throw missing(request.name, absent, absent.length);
  return args;
}

/**
 * Validate bound arguments with the task's Standard Schema: resolves (or returns) the schema's
 * output tuple; throws TaskArgumentsError (ValidationError) listing the issues.
 */
export function validateArguments(
  schema: StandardSchemaV1,
  args: unknown[],
  taskName: string,
): unknown[] | Promise<unknown[]> {
  const outcome = schema['~standard'].validate(args);
  return isThenable(outcome)
    ? Promise.resolve(outcome).then((result) => checked(result, taskName))
    : checked(outcome, taskName);
}

function checked(result: StandardSchemaResult<unknown>, taskName: string): unknown[] {
  if (result.issues) {
    const issues = result.issues.map(describeIssue);
    throw new TaskArgumentsError(
      `${shortName(taskName)}() got invalid arguments: ${issues.join('; ')}`,
      'ValidationError',
      issues,
    );
  }
  const value = result.value;
  return Array.isArray(value) ? value : [value];
}

function describeIssue(issue: StandardSchemaIssue): string {
  const path = (issue.path ?? [])
    .map((part) => {
      const key = typeof part === 'object' && part !== null ? part.key : part;
      return typeof key === 'number' ? `[${key}]` : `.${String(key)}`;
    })
    .join('');
  return path ? `${path.startsWith('.') ? path.slice(1) : path}: ${issue.message}` : issue.message;
}

/** Python shows the function's name: the last part of a dotted task name. */
function shortName(taskName: string): string {
  return taskName.slice(taskName.lastIndexOf('.') + 1);
}

function tooMany(taskName: string, min: number, max: number, given: number): TaskArgumentsError {
  const takes =
    min < max
      ? `from ${min} to ${max} positional arguments`
      : `${max} positional argument${max === 1 ? '' : 's'}`;
  return new TaskArgumentsError(
    `${shortName(taskName)}() takes ${takes} but ${given} ${given === 1 ? 'was' : 'were'} given`,
  );
}

function missing(taskName: string, names: string[], count: number): TaskArgumentsError {
  const quoted = names.map((n) => `'${n}'`);
  const list =
    quoted.length > 1 ? `${quoted.slice(0, -1).join(', ')} and ${quoted.at(-1)}` : quoted[0];
  return new TaskArgumentsError(
    `${shortName(taskName)}() missing ${count} required positional argument${count === 1 ? '' : 's'}` +
      (list ? `: ${list}` : ''),
  );
}

/** The longest delay a Node timer holds (about 24.8 days): a longer one fires after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A limit in seconds as a timer delay, never longer than a timer holds. */
function timerMs(seconds: number): number {
  return Math.min(seconds * 1000, MAX_TIMER_MS);
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
          timerMs(limits.soft),
        ),
      );
    }
    if (limits.hard) {
      timers.push(
        setTimeout(() => {
          const error = new TimeLimitExceededError(limits.hard!);
          controller.abort(error);
          reject(error);
        }, timerMs(limits.hard)),
      );
    }
    run.then(resolve, (error: unknown) => reject(unwrapAbort(error, controller)));
  });
  return race.finally(() => timers.forEach(clearTimeout));
}

/**
 * The abort's own reason when the handler stopped on its signal through an API that wraps it,
 * so the task fails as SoftTimeLimitExceeded (as a Celery task interrupted there does), not as
 * a bare AbortError. Node's APIs either reject with the reason itself (`fetch`,
 * `signal.throwIfAborted()`) or with an `AbortError` whose `cause` is the reason (`timers/
 * promises`, `events.once`, streams, `fs`, `child_process`, `http`). So, once the signal is
 * aborted, an AbortError is the signal's when its cause is the reason, and stays the handler's
 * own when its cause is anything else, or when it is a `DOMException` without a cause: that is
 * the reason of another AbortController aborted without one (what `fetch` rejects with on that
 * other signal). An `Error` named AbortError without a cause is a library that dropped the
 * reason (node-fetch 2 and the like) and counts as the signal's.
 */
function unwrapAbort(error: unknown, controller: TaskAbort): unknown {
  const reason = abortReasonOf(controller);
  if (reason === undefined || error === reason) return error;
  if (!(error instanceof Error) || error.name !== 'AbortError') return error;
  if (error.cause !== undefined) return error.cause === reason ? reason : error;
  return error instanceof DOMException ? error : reason;
}

/** Call the handler inside the task's async context, and only there. */
function callInContext(
  handler: (...args: unknown[]) => unknown,
  args: unknown[],
  running: RunningTask,
): unknown {
  return taskContextStorage.run(running, () => handler(...args));
}
