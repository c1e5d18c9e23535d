import { Injectable } from '@nestjs/common';
import { TaskQueueError } from '../errors/task-queue.error.js';
import { Retry, type RetryOptions } from '../errors/task-signals.js';
import type { TaskState } from '../results/task-states.js';
import { OUTSIDE_TASK } from '../task-queue.messages.js';
import { type RunningTask, taskContextStorage } from './task-context.storage.js';

/**
 * The current task request, injectable anywhere (Celery's `self.request`). Backed by
 * AsyncLocalStorage, so handlers keep their typed parameters.
 *
 * @example
 * constructor(private readonly ctx: TaskContext) {}
 * ＠Task() async crunch(n: number) { await this.ctx.updateState('PROGRESS', { done: 1 }); }
 * @publicApi
 */
@Injectable()
export class TaskContext {
  /** True while a task runs in this async context. */
  get active(): boolean {
    return taskContextStorage.getStore() !== undefined;
  }

  get id(): string {
    return this.current('id').request.id;
  }
  get name(): string {
    return this.current('name').request.name;
  }
  get args(): unknown[] {
    return this.current('args').request.args;
  }
  get kwargs(): Record<string, unknown> {
    return this.current('kwargs').request.kwargs;
  }
  get retries(): number {
    return this.current('retries').request.retries;
  }
  get rootId(): string {
    return this.current('rootId').request.rootId;
  }
  get parentId(): string | null {
    return this.current('parentId').request.parentId;
  }
  get group(): string | null {
    return this.current('group').request.group;
  }
  get eta(): Date | null {
    return this.current('eta').request.eta;
  }
  get expires(): Date | null {
    return this.current('expires').request.expires;
  }
  /** The worker's node name (`celeriac@host`). */
  get hostname(): string {
    return this.current('hostname').hostname;
  }
  get deliveryInfo(): RunningTask['deliveryInfo'] {
    return this.current('deliveryInfo').deliveryInfo;
  }
  /** Every message header, custom ones included. */
  get headers(): Record<string, unknown> {
    return this.current('headers').request.headers;
  }
  /** Aborted on revoke(terminate), soft time limit, hard time limit and worker shutdown. */
  get signal(): AbortSignal {
    return this.current('signal').signal;
  }

  /** Store a custom state such as PROGRESS with its meta (Celery's `update_state`). */
  updateState(state: TaskState, meta?: unknown): Promise<void> {
    return this.current('updateState').updateState(state, meta);
  }

  /** Ask for a retry: throws the Retry signal (Celery's `raise self.retry(...)`). */
  retry(options: RetryOptions = {}): never {
    this.current('retry');
    throw new Retry(options);
  }

  private current(what: string): RunningTask {
    const running = taskContextStorage.getStore();
    if (!running) throw new TaskQueueError(OUTSIDE_TASK(what));
    return running;
  }
}
