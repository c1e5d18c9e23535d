import { TaskQueueError } from './task-queue.error.js';

/** A message is not a valid Celery protocol v2 task, or its arguments do not fit. @publicApi */
export class InvalidMessageError extends TaskQueueError {}
