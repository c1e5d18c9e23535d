import { TaskQueueError } from './task-queue.error.js';

/** Two handlers claim the same task name. @publicApi */
export class DuplicateTaskError extends TaskQueueError {
  constructor(
    readonly taskName: string,
    readonly first: string,
    readonly second: string,
  ) {
    super(
      `Task "${taskName}" is declared twice: by ${first} and by ${second}. ` +
        `Give one of them another name: @Task('another.name').`,
    );
  }
}
