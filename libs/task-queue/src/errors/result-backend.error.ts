import { TaskQueueError } from './task-queue.error.js';

/** The result backend failed or is not configured. @publicApi */
export class ResultBackendError extends TaskQueueError {}
