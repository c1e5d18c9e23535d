import { SetMetadata } from '@nestjs/common';
import { TASK_EVENT_METADATA } from '../task-queue.constants.js';
import { assertInstanceMethod } from './instance-method.guard.js';
import type { TaskEventType } from './task-events.js';

/** What `@OnTaskEvent()` stores on a method. */
export interface TaskEventListenerMetadata {
  type: TaskEventType;
  /** Task-name glob (`orders.*`); undefined listens to every task. */
  task?: string;
}

/**
 * Call this provider method with the TaskEvent when a task of this worker reaches a lifecycle
 * point: Celery's `on_success` (`task-succeeded`), `on_failure` (`task-failed`, with the error
 * in `event.cause`), `on_retry` (`task-retried`) and `after_return` (`task-returned`, after
 * success or failure). Errors thrown by listeners are logged, never fail the task.
 *
 * @example
 * ＠OnTaskEvent('task-failed', { task: 'orders.*' })
 * alert(event: TaskEvent) { ... }
 * @publicApi
 */
export function OnTaskEvent(type: TaskEventType, options: { task?: string } = {}): MethodDecorator {
  const metadata: TaskEventListenerMetadata = { type, task: options.task };
  const attach = SetMetadata(TASK_EVENT_METADATA, metadata);
  return (target, key, descriptor) => {
    assertInstanceMethod('@OnTaskEvent()', target, key, descriptor);
    return attach(target, key, descriptor);
  };
}
