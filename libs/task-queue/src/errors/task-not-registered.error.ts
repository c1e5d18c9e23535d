import { TaskQueueError } from './task-queue.error.js';

/** A message names a task this worker does not know. Celery: `NotRegistered`. @publicApi */
export class TaskNotRegisteredError extends TaskQueueError {
  constructor(readonly taskName: string) {
    super(
      `Task "${taskName}" is not registered on this worker. Check the name, that its provider is ` +
        `part of the application's modules, and that the queue is not shared with workers of ` +
        `another application (Python and Node tasks need their own queues).`,
    );
  }
}
