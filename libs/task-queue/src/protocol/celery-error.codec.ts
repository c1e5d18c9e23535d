import { RemoteTaskError } from '../errors/remote-task.error.js';
import type { TaskQueueError } from '../errors/task-queue.error.js';
import type { SerializedError } from '../contracts/result-backend.interface.js';
import { describeThrown } from './thrown-value.js';
import { textOf } from '../utils/log-text.js';

/** Module name written for JavaScript errors (Python sees it as `exc_module`). */
const JS_MODULE = 'celeriac';
const BUILTIN_JS = new Set(['Error', 'TypeError', 'RangeError', 'SyntaxError', 'ReferenceError']);

/**
 * Celery's exception format: `{exc_type, exc_message: [args], exc_module}`. Python re-raises a
 * class of that name, so a Node `InteropError('boom')` becomes a Python exception whose class is
 * named InteropError with message 'boom'. An error may give its Python name and module
 * (`excType`, `excModule`: Celery's own exceptions, e.g. `celery.exceptions.TimeLimitExceeded`).
 * Never throws, whatever was thrown (see {@link describeThrown}).
 */
export function serializeError(error: unknown): SerializedError {
  if (isInstance(error, RemoteTaskError)) {
    return { exc_type: error.excType, exc_message: error.excArgs, exc_module: error.excModule };
  }
  const { name, message } = describeThrown(error);
  if (!isInstance(error, Error)) {
    return { exc_type: 'Error', exc_message: [message], exc_module: 'builtins' };
  }
  const declaredType = readString(error, 'excType');
  const declaredModule = readString(error, 'excModule');
  const module = declaredModule ?? (BUILTIN_JS.has(name) ? 'builtins' : JS_MODULE);
  return { exc_type: declaredType ?? name, exc_message: [message], exc_module: module };
}

/** A stack (or Python traceback) to store next to the error (never throws). */
export function errorTraceback(error: unknown): string | null {
  return describeThrown(error).stack || null;
}

function isInstance<T>(value: unknown, type: abstract new (...args: never[]) => T): value is T {
  try {
    return value instanceof type;
  } catch {
    return false;
  }
}

function readString(error: object, key: string): string | undefined {
  try {
    const value = (error as Record<string, unknown>)[key];
    return typeof value === 'string' && value ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Rebuild a stored error as a RemoteTaskError (tolerates garbage: never throws). */
export function deserializeError(
  taskId: string,
  result: unknown,
  traceback: string | null,
): TaskQueueError {
  if (result && typeof result === 'object' && 'exc_type' in result) {
    const stored = result as Partial<SerializedError>;
    const args = Array.isArray(stored.exc_message) ? stored.exc_message : [stored.exc_message];
    const message = args.map((arg) => textOf(arg)).join(', ');
    return new RemoteTaskError(
      taskId,
      textOf(stored.exc_type, 200),
      textOf(stored.exc_module ?? 'builtins', 200),
      message,
      traceback,
      args,
    );
  }
  return new RemoteTaskError(taskId, 'Error', 'builtins', textOf(result), traceback);
}
