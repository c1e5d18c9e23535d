import { TaskQueueError } from './task-queue.error.js';

/** A module or task option is invalid; thrown at boot. @publicApi */
export class ConfigurationError extends TaskQueueError {}
