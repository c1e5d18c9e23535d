import { TaskQueueError } from './task-queue.error.js';

/**
 * The isolate (worker thread or child process) running the task died: it crashed, ran out of
 * memory, called `process.exit`, was killed, or was stopped because another task on it hit
 * its hard time limit. Celery's `billiard.exceptions.WorkerLostError`: the message is requeued
 * when the task has `acksLate` and `rejectOnWorkerLost`, else the task fails with it.
 * @publicApi
 */
export class WorkerLostError extends TaskQueueError {
  readonly excType = 'WorkerLostError';
  readonly excModule = 'billiard.exceptions';

  constructor(readonly detail: string) {
    super(`Worker exited prematurely: ${detail}.`);
  }
}
