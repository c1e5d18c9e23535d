import { TaskQueueError } from './task-queue.error.js';

/**
 * A value cannot be written as JSON: a circular structure, nesting too deep, NaN or ±Infinity,
 * a function or a symbol. `path` says where (`$[0].items[3]`). Raised when sending arguments
 * (nothing is sent) and when storing a task's return value (the task's FAILURE).
 * @publicApi
 */
export class UnserializableValueError extends TaskQueueError {
  constructor(
    readonly what: string,
    readonly reason: string,
    readonly path: string,
  ) {
    super(`${what} is not JSON-serializable: ${reason} at ${path}`);
  }
}
