import { RemoteTaskError } from '../errors/remote-task.error.js';
import type { TaskQueueError } from '../errors/task-queue.error.js';
import type { SerializedError } from '../interfaces/result-backend.interface.js';

/** Module name written for JavaScript errors (Python sees it as `exc_module`). */
const JS_MODULE = 'celeriac';
const BUILTIN_JS = new Set(['Error', 'TypeError', 'RangeError', 'SyntaxError', 'ReferenceError']);

/**
 * Celery's exception format: `{exc_type, exc_message: [args], exc_module}`. Python re-raises a
 * class of that name, so a Node `InteropError('boom')` becomes a Python exception whose class is
 * named InteropError with message 'boom'.
 */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof RemoteTaskError) {
    return { exc_type: error.excType, exc_message: error.excArgs, exc_module: error.excModule };
  }
  if (error instanceof Error) {
    // An error may name its Python module (`excModule`), e.g. celery.exceptions for NotRegistered.
    const declared = (error as { excModule?: unknown }).excModule;
    const module =
      typeof declared === 'string' ? declared : BUILTIN_JS.has(error.name) ? 'builtins' : JS_MODULE;
    return { exc_type: error.name || 'Error', exc_message: [error.message], exc_module: module };
  }
  return { exc_type: 'Error', exc_message: [String(error)], exc_module: 'builtins' };
}

/** A stack (or Python traceback) to store next to the error. */
export function errorTraceback(error: unknown): string | null {
  return error instanceof Error && error.stack ? error.stack : null;
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
    const message = args.length === 1 ? String(args[0]) : args.map(String).join(', ');
    return new RemoteTaskError(
      taskId,
      String(stored.exc_type),
      String(stored.exc_module ?? 'builtins'),
      message,
      traceback,
      args,
    );
  }
  return new RemoteTaskError(taskId, 'Error', 'builtins', String(result), traceback);
}
