import type { TaskRequest } from '../protocol/task-request.js';
import type { TaskEvents } from './task-events.js';
import {
  type OutgoingTask,
  TaskInstrumentation,
  type TraceCarrier,
} from './task-instrumentation.js';

/**
 * The module's instrumentation plus a `task-sent` event for each task message that reached
 * the broker, whatever published it: sends, after-commit and outbox publishes (fast path and
 * relay), retries, canvas steps, redrives, beat fires. Every publish path of the module takes
 * this one, so `celery_task_sent_total` counts each message once. The event is built only
 * while something listens for it.
 *
 * Before each publish it also tells {@link onSending} listeners the task's name: a worker of
 * this process may take the message before the publish's reply comes back, and the metrics
 * must know the name is one this process sends by then (not only at `task-sent`).
 */
export class SentReportingInstrumentation extends TaskInstrumentation {
  constructor(
    private readonly inner: TaskInstrumentation,
    private readonly events: TaskEvents,
    private readonly hostname: string,
  ) {
    super();
  }

  private sendingListeners: ((name: string) => void)[] = [];

  /** Calls `listener` with the task name before each publish. Returns the function that removes it. */
  onSending(listener: (name: string) => void): () => void {
    this.sendingListeners = [...this.sendingListeners, listener];
    return () => {
      this.sendingListeners = this.sendingListeners.filter((l) => l !== listener);
    };
  }

  override async wrapPublish(task: OutgoingTask, publish: () => Promise<void>): Promise<void> {
    for (const listener of this.sendingListeners) listener(task.message.headers.task);
    await this.inner.wrapPublish(task, publish);
    if (!this.events.listens('task-sent')) return;
    const { headers } = task.message;
    this.events.emit({
      type: 'task-sent',
      taskId: headers.id,
      name: headers.task,
      ...(headers.shadow ? { shadow: headers.shadow } : {}),
      hostname: this.hostname,
      timestamp: Date.now(),
      queue: task.options.queue,
    });
  }

  override wrapExecution<T>(request: TaskRequest, run: () => Promise<T>): Promise<T> {
    return this.inner.wrapExecution(request, run);
  }

  override captureContext(): TraceCarrier | undefined {
    return this.inner.captureContext();
  }
}

/**
 * Injection token of the {@link SentReportingInstrumentation} every publish path uses
 * (internal; `TASK_INSTRUMENTATION` stays the app's own).
 */
export const PUBLISH_INSTRUMENTATION = Symbol('celeriac:publish-instrumentation');
