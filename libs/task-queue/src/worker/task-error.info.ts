import type { TaskEvent } from './task-events.js';

/** Celery's NotRegistered, so Python callers see the same exception they would from Python workers. */
export function celeryNotRegistered(name: string): Error {
  const error = new Error(name);
  error.name = 'NotRegistered';
  return Object.assign(error, { excModule: 'celery.exceptions' });
}

/** `Name: message`, for log lines. */
export function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** The `error` field of a task event. */
export function errorInfo(error: unknown): TaskEvent['error'] {
  return error instanceof Error
    ? { name: error.name, message: error.message, stack: error.stack }
    : { name: 'Error', message: String(error) };
}
