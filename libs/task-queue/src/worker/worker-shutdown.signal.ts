/**
 * The abort reason of a task the worker gives back at shutdown (requeued, to run elsewhere):
 * the executor records nothing for it, since the task did not fail.
 */
export class WorkerShutdownSignal extends Error {
  constructor(reason: string) {
    super(`Worker shutdown: ${reason}; the task was requeued`);
    this.name = 'WorkerShutdownSignal';
  }
}
