import { describeThrown, describeThrownLine } from '../protocol/thrown-value.js';
import type { TaskEvent } from '../tasks/task-events.js';

/** Celery's NotRegistered, so Python callers see the same exception they would from Python workers. */
export function celeryNotRegistered(name: string): Error {
  const error = new Error(name);
  error.name = 'NotRegistered';
  return Object.assign(error, { excModule: 'celery.exceptions' });
}

/** `Name: message`, for log lines. */
export function describe(error: unknown): string {
  return describeThrownLine(error);
}

/** The `error` field of a task event. */
export function errorInfo(error: unknown): TaskEvent['error'] {
  return describeThrown(error);
}
