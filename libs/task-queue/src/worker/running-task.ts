import type { Delivery } from '../contracts/broker.interface.js';
import type { TaskRequest } from '../protocol/task-request.js';
import type { TaskState } from '../results/task-states.js';
import type { RunningTask } from '../tasks/task-context.storage.js';
import type { TaskAbort } from './lazy-abort.js';

/** Writes a custom state of a task (the worker's ResultRecorder). */
export interface StateWriter {
  state(request: TaskRequest, hostname: string, state: TaskState, meta: unknown): Promise<void>;
}

/**
 * The store of a running task's async context. `deliveryInfo` is built on first read: most
 * handlers never ask for it, and the worker runs thousands of tasks a second.
 */
export class RunningTaskState implements RunningTask {
  private info?: RunningTask['deliveryInfo'];
  children?: RunningTask['children'];
  onCommitWork?: RunningTask['onCommitWork'];

  constructor(
    readonly request: TaskRequest,
    readonly hostname: string,
    private readonly controller: TaskAbort,
    private readonly delivery: Delivery,
    private readonly writer: StateWriter,
  ) {}

  /** Created on first read (see LazyAbortController); only the handler reads it. */
  get signal(): AbortSignal {
    return this.controller.handlerSignal?.() ?? this.controller.signal;
  }

  get deliveryInfo(): RunningTask['deliveryInfo'] {
    this.info ??= { ...this.delivery.deliveryInfo, redelivered: this.delivery.redelivered };
    return this.info;
  }

  updateState(state: TaskState, meta?: unknown): Promise<void> {
    return this.writer.state(this.request, this.hostname, state, meta);
  }
}
