import { TaskQueueError } from './task-queue.error.js';

/**
 * A task failed on a worker (Node or Python). `name` is the remote exception's class name
 * (`exc_type`), so `err.name === 'ValueError'` for a Python ValueError.
 * @publicApi
 */
export class RemoteTaskError extends TaskQueueError {
  constructor(
    readonly taskId: string,
    readonly excType: string,
    readonly excModule: string,
    message: string,
    readonly remoteStack: string | null,
    readonly excArgs: unknown[] = [message],
  ) {
    super(message);
    this.name = excType;
  }
}
