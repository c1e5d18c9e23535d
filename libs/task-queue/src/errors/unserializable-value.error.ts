import { TaskQueueError } from './task-queue.error.js';

/**
 * A value cannot be written as JSON: a circular structure, nesting too deep, a Map / Set /
 * WeakMap / WeakSet (Python's json refuses a set likewise), a function or a symbol (NaN and
 * ±Infinity are written as Python's float tokens). `path` says where (`$[0].items[3]`).
 * Raised when sending arguments (nothing is sent) and when storing a task's return value (the
 * task's FAILURE). The message shortens a path of a deep nesting to its two ends; `path` keeps
 * all of it.
 * @publicApi
 */
export class UnserializableValueError extends TaskQueueError {
  constructor(
    readonly what: string,
    readonly reason: string,
    readonly path: string,
  ) {
    super(`${what} is not JSON-serializable: ${reason} at ${shortened(path)}`);
  }
}

const MAX_PATH = 120;

function shortened(path: string): string {
  if (path.length <= MAX_PATH) return path;
  return `${path.slice(0, 40)}…${path.slice(-60)}`;
}
