import { Injectable } from '@nestjs/common';
import type { PublishOptions } from '../contracts/broker.interface.js';
import type { TaskMessage } from '../contracts/task-message.interface.js';
import type { TaskRequest } from '../protocol/task-request.js';

/**
 * A captured trace context as propagation fields (W3C `traceparent`, `tracestate`, ...):
 * plain strings, so it can wait in memory for a commit or in an outbox row for a relay.
 * @publicApi
 */
export type TraceCarrier = Readonly<Record<string, string>>;

/** Why a task message is being published. @publicApi */
export type PublishReason =
  /** `delay()`, `applyAsync()`, `TaskClient.send()`. */
  | 'send'
  /** `delayOnCommit()` in after-commit mode, after COMMIT. */
  | 'after-commit'
  /** `delayOnCommit()` in outbox mode: the fast path after COMMIT, or the outbox relay. */
  | 'outbox'
  /** The worker republishes a task for its next attempt. */
  | 'retry'
  /** A canvas step publishes the next task (chain link, callbacks, errbacks, chord body). */
  | 'canvas'
  /** `DeadLetters.redrive()` puts a dead letter back on its queue. */
  | 'redrive';

/** A task message about to be published, as {@link TaskInstrumentation.wrapPublish} sees it. @publicApi */
export interface OutgoingTask {
  /** The message; instrumentation may add headers (it is published after `wrapPublish` runs). */
  readonly message: TaskMessage;
  readonly options: PublishOptions;
  readonly via: PublishReason;
  /**
   * The context captured when the publish was decided (`delayOnCommit()` time, stored in the
   * outbox row), to publish under instead of the active one. Absent: the active context.
   */
  readonly context?: TraceCarrier;
  /** When the publish was decided (epoch ms), for deferred publishes. */
  readonly decidedAt?: number;
}

/**
 * The seam where tracing, metric timers and context propagation plug into the producer and the
 * worker. Every task publish of the module runs inside `wrapPublish` (sends, after-commit and
 * outbox publishes, retries, canvas steps, redrives) and every attempt the worker makes inside
 * `wrapExecution` (from the checks to settlement, so what the attempt publishes runs in its
 * context). This class is the default: a pass-through that costs one call. Provide another
 * with `TaskQueueModule.forRoot({ instrumentation })`, or turn on the OpenTelemetry one with
 * `forRoot({ tracing: true })`.
 * @publicApi
 */
@Injectable()
export class TaskInstrumentation {
  /** Publish `task` by calling `publish` (exactly once); resolve or reject as it does. */
  wrapPublish(task: OutgoingTask, publish: () => Promise<void>): Promise<void> {
    void task;
    return publish();
  }

  /** Run one attempt of `request` by calling `run` (exactly once); resolve or reject as it does. */
  wrapExecution<T>(request: TaskRequest, run: () => Promise<T>): Promise<T> {
    void request;
    return run();
  }

  /**
   * The active context, to publish under later (`delayOnCommit()`); undefined when there is
   * nothing to carry. Called only on deferred publishes.
   */
  captureContext(): TraceCarrier | undefined {
    return undefined;
  }
}

/** Injection token of the module's {@link TaskInstrumentation}. @publicApi */
export const TASK_INSTRUMENTATION = Symbol('celeriac:task-instrumentation');

/** The pass-through, for classes built outside Nest's container. */
export const NO_INSTRUMENTATION = new TaskInstrumentation();
