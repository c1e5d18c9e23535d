import { SENT_AT_HEADER } from '../contracts/queue-stats.interface.js';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { TaskDefinition } from '../tasks/task-definition.js';
import { TaskRegistry } from '../tasks/task.registry.js';
import { MaxRetriesExceededError } from '../errors/max-retries-exceeded.error.js';
import { Ignore, Reject, Retry, UnrecoverableError } from '../errors/task-signals.js';
import { TaskNotRegisteredError } from '../errors/task-not-registered.error.js';
import { TaskArgumentsError } from '../errors/task-arguments.error.js';
import { TaskRevokedError } from '../errors/task-revoked.error.js';
import type { Broker, Delivery } from '../contracts/broker.interface.js';
import { toCeleryDate } from '../protocol/json-codec.js';
import type { TaskRequest } from '../protocol/task-request.js';
import { getBrokerToken } from '../utils/tokens.js';
import { DEDUPE_HEADER } from '../task-queue.constants.js';
import { hasSuccessSteps } from '../canvas/success-steps.js';
import { WorkflowService } from '../canvas/workflow.service.js';
import { DeadLetters } from './dead-letter.service.js';
import { WorkerShutdownSignal } from './worker-shutdown.signal.js';
import { ResultRecorder } from './result-recorder.js';
import { maxRetriesOf, retryDelaySeconds, shouldAutoretry } from './retry-policy.js';
import { RevokedTasks, type TrackedRun } from '../revocation/revoked-tasks.js';
import { RunningTaskState } from './running-task.js';
import { displayName, shadowOf, TaskEvents, type TaskEvent } from '../tasks/task-events.js';
import { bindArguments, limitsOf, runWithLimits, validateArguments } from './task-runner.js';
import { abortReasonOf, LazyAbortController, type TaskAbort } from './lazy-abort.js';
import { celeryNotRegistered, describe, errorInfo } from './task-error.info.js';
import { isThenable } from '../utils/is-thenable.js';
import {
  NO_INSTRUMENTATION,
  TASK_INSTRUMENTATION,
  type TaskInstrumentation,
} from '../tasks/task-instrumentation.js';
import { taskLogFields } from '../tasks/task-log-fields.js';

/**
 * Runs one delivered task message from start to settlement: checks (registered, revoked,
 * expired), ack mode, execution with context and time limits, result storage, retries, dead
 * letters and events. Never throws: every outcome ends in ack, reject or defer.
 */
@Injectable()
export class TaskExecutor {
  private readonly logger = new Logger('TaskQueue');

  constructor(
    private readonly registry: TaskRegistry,
    private readonly recorder: ResultRecorder,
    private readonly events: TaskEvents,
    private readonly revoked: RevokedTasks,
    private readonly deadLetters: DeadLetters,
    private readonly workflow: WorkflowService,
    @Inject(getBrokerToken()) private readonly broker: Broker,
    @Optional()
    @Inject(TASK_INSTRUMENTATION)
    private readonly instrumentation: TaskInstrumentation = NO_INSTRUMENTATION,
  ) {
    revoked.onTerminate((run) => this.terminated(run as TrackedRun<RunOwner>));
  }

  /**
   * Execute a parsed request. `hostname` is the worker's node name; `controller` aborts the
   * task's signal (shutdown, revoke terminate, time limits).
   */
  execute(
    delivery: Delivery,
    request: TaskRequest,
    hostname: string,
    controller: TaskAbort = new LazyAbortController(),
  ): Promise<void> {
    return this.instrumentation.wrapExecution(request, () =>
      this.attempt(delivery, request, hostname, controller),
    );
  }

  /** One attempt, inside the instrumentation (what it publishes runs in its context). */
  private async attempt(
    delivery: Delivery,
    request: TaskRequest,
    hostname: string,
    controller: TaskAbort,
  ): Promise<void> {
    const definition = this.registry.get(request.name);
    if (!definition) return this.unknownTask(delivery, request, hostname);
    const revocation = this.revoked.get(request.id);
    if (revocation) return this.revoke(delivery, request, hostname, revocation.reason);
    if (request.expires && request.expires.getTime() <= Date.now()) {
      return this.revoke(delivery, request, hostname, 'expired');
    }
    if (
      (definition.options.dedupe || request.headers[DEDUPE_HEADER] === true) &&
      (await this.recorder.alreadySucceeded(request.id))
    ) {
      this.logger.log(
        `Skipping ${displayName(request)}[${request.id}]: it already succeeded (duplicate delivery).`,
        taskLogFields(request),
      );
      return delivery.ack();
    }
    const acksLate = definition.options.acksLate ?? true;
    if (!acksLate) await delivery.ack();
    const tracked = this.revoked.track(request.id, controller, { request, hostname });
    const started = performance.now();
    this.emit('task-started', request, hostname, { sentAt: sentAtOf(request.headers) });
    try {
      const outcome = this.run(definition, request, hostname, delivery, controller);
      // A synchronous handler's value is used as it is: no promise, no microtask.
      const value = isThenable(outcome) ? await outcome : outcome;
      // Revoked with terminate while running: REVOKED is stored, the late result is dropped.
      if (abortReasonOf(controller) instanceof TaskRevokedError) return this.dropLate(delivery);
      if (!(request.ignoreResult || definition.options.ignoreResult)) {
        const stored = await this.recorder.success(request, hostname, value, controller);
        if (stored !== true) {
          if (stored === false) return this.unstored(delivery, request, controller, acksLate);
          // A value JSON cannot carry is the task's failure (no retry: it would return it again).
          const runtime = seconds(started);
          if (!(await this.fail(request, hostname, stored, runtime, controller))) {
            return this.unstored(delivery, request, controller, acksLate);
          }
          if (acksLate) this.ackInBackground(delivery, request);
          return;
        }
      }
      if (this.events.listens('task-succeeded')) {
        this.emit('task-succeeded', request, hostname, {
          result: value,
          runtime: seconds(started),
        });
      }
      if (hasSuccessSteps(request)) await this.workflow.onSuccess(request, value, hostname);
      if (this.events.listens('task-returned')) {
        this.emit('task-returned', request, hostname, { state: 'SUCCESS', result: value });
      }
      if (acksLate) this.ackInBackground(delivery, request);
    } catch (error) {
      const aborted = abortReasonOf(controller);
      if (aborted instanceof WorkerShutdownSignal) {
        // Given back at shutdown: the message is already requeued and will run elsewhere.
        this.logger.warn(
          `Task ${displayName(request)}[${request.id}] was interrupted by shutdown and requeued.`,
          taskLogFields(request),
        );
        return;
      }
      if (aborted instanceof TaskRevokedError) return this.dropLate(delivery);
      try {
        await this.onError(
          delivery,
          request,
          definition,
          hostname,
          error,
          acksLate,
          seconds(started),
          controller,
        );
      } catch (crash) {
        await this.lastResort(delivery, request, hostname, error, crash, acksLate);
      }
    } finally {
      this.revoked.untrack(tracked);
    }
  }

  /**
   * Ack without holding the task's slot for the round trip (Celery's pool frees a process
   * before the main process acks). A failed ack is logged; the broker redelivers the message.
   */
  private ackInBackground(delivery: Delivery, request: TaskRequest): void {
    delivery
      .ack()
      .catch((error: Error) =>
        this.logger.error(
          `Could not ack task ${request.name}[${request.id}] (tag ${delivery.deliveryTag}): ` +
            `${error.message}. Its result is stored; the broker will redeliver the message.`,
          taskLogFields(request, delivery.queue),
        ),
      );
  }

  /**
   * The handler's value or promise; a static handler runs without waiting for `resolve()`.
   * Throws what a synchronous handler (or argument binding) throws.
   */
  private run(
    definition: TaskDefinition,
    request: TaskRequest,
    hostname: string,
    delivery: Delivery,
    controller: TaskAbort,
  ): unknown {
    const bound = bindArguments(request, definition);
    const running = new RunningTaskState(request, hostname, controller, delivery, this.recorder);
    const limits = limitsOf(request, definition);
    const schema = definition.options.schema;
    if (schema) {
      const validated = validateArguments(schema, bound, request.name);
      return Promise.all([validated, definition.handler ?? definition.resolve()]).then(
        ([args, handler]) => runWithLimits(handler, args, running, controller, limits),
      );
    }
    if (definition.handler)
      return runWithLimits(definition.handler, bound, running, controller, limits);
    return definition
      .resolve()
      .then((handler) => runWithLimits(handler, bound, running, controller, limits));
  }

  private async onError(
    delivery: Delivery,
    request: TaskRequest,
    definition: TaskDefinition,
    hostname: string,
    error: unknown,
    acksLate: boolean,
    runtime: number,
    controller: TaskAbort,
  ): Promise<void> {
    const settle = async (): Promise<void> => {
      if (acksLate) await delivery.ack();
    };
    if (error instanceof Ignore) return settle();
    if (error instanceof Reject) {
      this.emit('task-rejected', request, hostname, { reason: error.reason });
      if (!acksLate) return;
      return error.requeue
        ? delivery.reject(true)
        : this.deadLetters.deadLetter(delivery, `rejected: ${error.reason}`);
    }
    const retry =
      error instanceof Retry
        ? error.options
        : !(error instanceof UnrecoverableError) &&
            !(error instanceof TaskArgumentsError) &&
            shouldAutoretry(definition.options, error)
          ? { error }
          : undefined;
    if (retry) {
      const max = maxRetriesOf(definition.options, retry.maxRetries);
      const cause = retry.error ?? error;
      if (max === null || request.retries < max) {
        await this.retry(delivery, request, definition, hostname, retry, cause);
        return settle();
      }
      const final =
        retry.error !== undefined
          ? retry.error
          : new MaxRetriesExceededError(request.name, request.id, max, { cause });
      if (!(await this.fail(request, hostname, final, runtime, controller))) {
        return this.unstored(delivery, request, controller, acksLate);
      }
      if (!acksLate) return;
      return this.deadLetters.deadLetter(
        delivery,
        `max retries (${max}) exceeded: ${describe(final)}`,
      );
    }
    if (!(await this.fail(request, hostname, error, runtime, controller))) {
      return this.unstored(delivery, request, controller, acksLate);
    }
    await settle();
  }

  private async retry(
    delivery: Delivery,
    request: TaskRequest,
    definition: TaskDefinition,
    hostname: string,
    options: Retry['options'],
    cause: unknown,
  ): Promise<void> {
    const delay = options.countdown ?? retryDelaySeconds(definition.options, request.retries);
    const eta = options.eta ?? new Date(Date.now() + delay * 1000);
    const message = {
      ...request.message,
      headers: {
        ...request.message.headers,
        retries: request.retries + 1,
        eta: toCeleryDate(eta),
        parent_id: request.id,
      },
    };
    const publish = { queue: delivery.queue, priority: delivery.deliveryInfo.priority };
    await this.instrumentation.wrapPublish({ message, options: publish, via: 'retry' }, () =>
      this.broker.publish(message, publish),
    );
    await this.recorder.retry(request, hostname, cause);
    this.logger.log(
      `Task ${displayName(request)}[${request.id}] retry ${request.retries + 1} at ${eta.toISOString()}: ${describe(cause)}`,
      taskLogFields(request, delivery.queue),
    );
    this.emit('task-retried', request, hostname, { error: errorInfo(cause), cause });
  }

  /** Record a failure; resolves false when the FAILURE could not be stored (backend down). */
  private async fail(
    request: TaskRequest,
    hostname: string,
    error: unknown,
    runtime: number,
    controller?: TaskAbort,
  ): Promise<boolean> {
    const info = errorInfo(error);
    this.logger.error(
      `Task ${displayName(request)}[${request.id}] failed: ${info!.name}: ${info!.message}`,
      taskLogFields(request),
      info!.stack,
    );
    const stored = await this.recorder.failure(request, hostname, error, controller);
    this.emit('task-failed', request, hostname, { error: info, cause: error, runtime });
    await this.workflow.onFailure(request, error, hostname);
    this.emit('task-returned', request, hostname, { state: 'FAILURE', cause: error });
    return stored;
  }

  /**
   * The outcome could not be stored (result backend unreachable after retries): give the
   * message back so the task runs again, rather than ack a task whose caller waits forever.
   */
  private async unstored(
    delivery: Delivery,
    request: TaskRequest,
    controller: TaskAbort,
    acksLate: boolean,
  ): Promise<void> {
    if (abortReasonOf(controller) instanceof WorkerShutdownSignal) return;
    if (!acksLate) {
      this.logger.error(
        `Task ${displayName(request)}[${request.id}] ran, but its outcome could not be stored and ` +
          `its message was acked before it ran (acksLate: false): its result is lost.`,
        taskLogFields(request),
      );
      return;
    }
    this.logger.error(
      `Task ${displayName(request)}[${request.id}]: its outcome could not be stored in the result ` +
        `backend; the message is requeued and the task will run again.`,
      taskLogFields(request),
    );
    await delivery.reject(true);
  }

  /** A task revoked with terminate finished anyway: its REVOKED stays, the message is acked. */
  private async dropLate(delivery: Delivery): Promise<void> {
    await delivery.ack();
  }

  /** `revoke(id, { terminate: true })` aborted a running task: store REVOKED now (Celery). */
  private terminated(run: TrackedRun<RunOwner>): void {
    const owner = run.owner;
    if (!owner) return;
    void this.recorder.revoked(owner.request, owner.hostname, 'terminated');
    this.emit('task-revoked', owner.request, owner.hostname, { reason: 'terminated' });
  }

  /**
   * Handling the failure itself failed (a dead-letter publish, a workflow step): record a
   * FAILURE if possible and settle the message anyway, so it is never left unsettled.
   */
  private async lastResort(
    delivery: Delivery,
    request: TaskRequest,
    hostname: string,
    error: unknown,
    crash: unknown,
    acksLate: boolean,
  ): Promise<void> {
    this.logger.error(
      `Handling the failure of ${displayName(request)}[${request.id}] failed: ` +
        `${describe(crash)} (task error: ${describe(error)}).`,
      taskLogFields(request),
    );
    try {
      const stored = await this.recorder.failure(request, hostname, error);
      if (acksLate) await (stored ? delivery.ack() : delivery.reject(true));
    } catch (again) {
      this.logger.error(
        `Could not settle task ${request.id}: ${describe(again)}`,
        taskLogFields(request),
      );
    }
  }

  private async unknownTask(
    delivery: Delivery,
    request: TaskRequest,
    hostname: string,
  ): Promise<void> {
    const error = new TaskNotRegisteredError(request.name);
    this.logger.error(
      `Received unregistered task "${request.name}" [${request.id}]. ${error.message}`,
      taskLogFields(request),
    );
    await this.recorder.failure(request, hostname, celeryNotRegistered(request.name));
    this.emit('task-failed', request, hostname, {
      error: errorInfo(error),
      reason: 'unknown task',
    });
    await this.deadLetters.deadLetter(delivery, `unknown task "${request.name}"`);
  }

  private async revoke(
    delivery: Delivery,
    request: TaskRequest,
    hostname: string,
    reason: string,
  ): Promise<void> {
    this.logger.log(
      `Discarding revoked task ${displayName(request)}[${request.id}] (${reason}).`,
      taskLogFields(request),
    );
    await this.recorder.revoked(request, hostname, reason);
    this.emit('task-revoked', request, hostname, { reason });
    await delivery.ack();
  }

  private emit(
    type: TaskEvent['type'],
    request: TaskRequest,
    hostname: string,
    extra: Partial<TaskEvent> = {},
  ): void {
    if (!this.events.listens(type)) return;
    this.events.emit({
      type,
      taskId: request.id,
      name: request.name,
      hostname,
      timestamp: Date.now(),
      retries: request.retries,
      rootId: request.rootId,
      parentId: request.parentId,
      shadow: shadowOf(request),
      queue: request.queue ?? undefined,
      ...extra,
    });
  }
}

/** What the executor attaches to a tracked run (for `terminate`). */
interface RunOwner {
  request: TaskRequest;
  hostname: string;
}

/** The SENT_AT_HEADER of a message (epoch ms), when it has a usable one. */
function sentAtOf(headers: Record<string, unknown>): number | undefined {
  const value = headers[SENT_AT_HEADER];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function seconds(startedAt: number): number {
  return (performance.now() - startedAt) / 1000;
}
