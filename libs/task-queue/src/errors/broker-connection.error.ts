import { TaskQueueError } from './task-queue.error.js';

/** The broker could not be reached or the connection was lost. @publicApi */
export class BrokerConnectionError extends TaskQueueError {}
