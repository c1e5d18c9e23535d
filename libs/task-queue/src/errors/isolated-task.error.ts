import { TaskQueueError } from './task-queue.error.js';

/** What an isolate reports of an error its handler threw. */
export interface IsolatedErrorInfo {
  name: string;
  message: string;
  stack?: string;
  excType?: string;
  excModule?: string;
  /** Decided inside the isolate, where the task's `autoretryFor` classes are. */
  autoretry?: boolean;
}

/**
 * An error thrown by a handler that ran in a thread or process isolate, rebuilt in the worker:
 * same name, message, stack and Celery type as the original, so results, logs and events read
 * as if it ran inline. `autoretry` carries the isolate's `autoretryFor` decision.
 * @publicApi
 */
export class IsolatedTaskError extends TaskQueueError {
  readonly excType?: string;
  readonly excModule?: string;
  readonly autoretry: boolean;

  constructor(info: IsolatedErrorInfo) {
    super(info.message);
    this.name = info.name;
    if (info.stack) this.stack = info.stack;
    this.excType = info.excType;
    this.excModule = info.excModule;
    this.autoretry = info.autoretry === true;
  }
}
