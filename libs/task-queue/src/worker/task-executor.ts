import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { TaskRegistry } from '../tasks/task.registry.js';
import { TaskRevokedError } from '../errors/task-revoked.error.js';
import type { Delivery } from '../contracts/broker.interface.js';
import type { TaskRequest } from '../protocol/task-request.js';
import { DEDUPE_HEADER } from '../task-queue.constants.js';
import { hasSuccessSteps } from '../canvas/success-steps.js';
import { WorkflowService } from '../canvas/workflow.service.js';
import { DeadLetters } from './dead-letters.js';
import { WorkerShutdownSignal } from './worker-shutdown.signal.js';
import { ResultRecorder } from './result-recorder.js';
import { TaskOutcomes } from './task-outcomes.js';
import { TaskPools } from './pool/task-pools.js';
import { RevokedTasks, type TrackedRun } from '../revocation/revoked-tasks.js';
import { RunningTaskState } from './running-task.js';
import { displayName, TaskEvents } from '../tasks/task-events.js';
import { limitsOf } from './task-runner.js';
import { invokeTask } from './task-invocation.js';
import {
  discardRevokedTask,
  storeTerminated,
  type RevocationDeps,
  type RunOwner,
} from './revoked-task.js';
import { abortReasonOf, LazyAbortController, type TaskAbort } from './lazy-abort.js';
import { isThenable } from '../utils/is-thenable.js';
import {
  NO_INSTRUMENTATION,
  TASK_INSTRUMENTATION,
  type TaskInstrumentation,
} from '../tasks/task-instrumentation.js';
import { taskLogFields } from '../tasks/task-log-fields.js';
import { afterCommitWork } from './after-commit-work.js';
import { settleUnknownTask } from './unknown-task.js';
import { refusalOf } from './refusal.js';
import { seconds, sentAtOf } from './task-timing.js';
import { BackgroundAcks } from './background-acks.js';

/**
 * Runs one delivered task message from start to settlement: checks (registered, revoked,
 * expired), ack mode, execution with context and time limits, result storage, retries, dead
 * letters and events. Never throws: every outcome ends in ack, reject or defer.
 */
@Injectable()
export class TaskExecutor {
  private readonly logger = new Logger('TaskQueue');
  private readonly backgroundAcks = new BackgroundAcks((delivery, request, error) =>
    this.logger.error(
      `Could not ack task ${request.name}[${request.id}] (tag ${delivery.deliveryTag}): ` +
        `${error.message}. Its result is stored; the broker will redeliver the message.`,
      taskLogFields(request, delivery.queue),
    ),
  );
  /** What settling a revoked task needs (built once). */
  private readonly revocation: RevocationDeps;

  constructor(
    private readonly registry: TaskRegistry,
    private readonly recorder: ResultRecorder,
    private readonly events: TaskEvents,
    private readonly revoked: RevokedTasks,
    private readonly deadLetters: DeadLetters,
    private readonly workflow: WorkflowService,
    private readonly outcomes: TaskOutcomes,
    private readonly pools: TaskPools,
    @Optional()
    @Inject(TASK_INSTRUMENTATION)
    private readonly instrumentation: TaskInstrumentation = NO_INSTRUMENTATION,
  ) {
    this.revocation = { recorder, workflow, outcomes, logger: this.logger };
    revoked.onTerminate((run) => storeTerminated(this.revocation, run as TrackedRun<RunOwner>));
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

  /**
   * Would `execute` settle this request without running it (unknown task, revoked, expired)?
   * Celery checks this when a message arrives, so such a task is settled at once rather than
   * kept until its ETA.
   */
  settlesWithoutRunning(request: TaskRequest): boolean {
    return refusalOf(request, this.registry, this.revoked) !== null;
  }

  /** Is `name` a registered task? (Celery counts only those in `stats.total`.) */
  runs(name: string): boolean {
    return this.registry.get(name) !== undefined;
  }

  /** One attempt, inside the instrumentation (what it publishes runs in its context). */
  private async attempt(
    delivery: Delivery,
    request: TaskRequest,
    hostname: string,
    controller: TaskAbort,
  ): Promise<void> {
    const refusal = refusalOf(request, this.registry, this.revoked);
    if (refusal?.unknown) {
      const { recorder, outcomes, deadLetters } = this;
      return settleUnknownTask({ recorder, outcomes, deadLetters }, delivery, request, hostname);
    }
    if (refusal) {
      if (refusal.reason === 'expired') this.revoked.noteExpired(request.id);
      return discardRevokedTask(this.revocation, delivery, request, hostname, refusal.reason);
    }
    const definition = this.registry.get(request.name)!;
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
    if (delivery.reclaimed) {
      // Its channel closed while the dedupe check ran: the broker delivers it again.
      this.logger.warn(
        `Not starting ${displayName(request)}[${request.id}]: its broker channel closed before it ` +
          `started; the broker delivers it again.`,
        taskLogFields(request),
      );
      return;
    }
    const acksLate = definition.options.acksLate ?? true;
    if (!acksLate) await delivery.ack();
    const tracked = this.revoked.track(request.id, controller, { request, hostname });
    if (
      definition.options.trackStarted &&
      !(request.ignoreResult || definition.options.ignoreResult)
    )
      await this.recorder.started(request, hostname);
    const started = performance.now();
    // The send time is read only for someone listening (metrics' queue wait).
    if (this.events.listens('task-started')) {
      this.outcomes.emit('task-started', request, hostname, {
        sentAt: sentAtOf(request.headers),
      });
    }
    const running = new RunningTaskState(request, hostname, controller, delivery, this.recorder);
    try {
      const outcome = invokeTask(
        this.pools,
        definition,
        request,
        hostname,
        delivery,
        controller,
        running,
      );
      // A synchronous handler's value is used as it is: no promise, no microtask.
      const value = isThenable(outcome) ? await outcome : outcome;
      if (running.onCommitWork)
        await afterCommitWork(running, limitsOf(request, definition).hard, started, this.logger);
      // Revoked with terminate while running: REVOKED is stored, the late result is dropped.
      if (abortReasonOf(controller) instanceof TaskRevokedError) return this.dropLate(delivery);
      // Celery's order: callbacks and chain are sent first, so the result lists them.
      const steps = hasSuccessSteps(request);
      // A link callback or chain step the broker refused fails the task, as in Celery's trace.
      const refused = steps ? await this.workflow.beforeStore(request, value, running) : null;
      if (refused || !(request.ignoreResult || definition.options.ignoreResult)) {
        // The backend's promise (shared by a batch of stores) is awaited as it is: no promise
        // of the outcome per task (see ResultRecorder.success); a failed write is recovered.
        const write = refused
          ? refused
          : this.recorder.success(request, hostname, value, controller, running.children);
        let stored: boolean | Error = true;
        if (write instanceof Error) stored = write;
        else {
          try {
            await write.written;
          } catch (error) {
            stored = await this.recorder.recover(write, error);
          }
        }
        if (stored !== true) {
          if (stored === false)
            return this.outcomes.unstored(delivery, request, controller, acksLate);
          // A value JSON cannot carry, or a refused callback, is the task's failure (no retry:
          // it would return it again, or send its callbacks twice).
          const runtime = seconds(started);
          const failed = this.outcomes.fail(
            request,
            hostname,
            stored,
            runtime,
            controller,
            running.children,
          );
          if (!(await failed)) {
            return this.outcomes.unstored(delivery, request, controller, acksLate);
          }
          if (acksLate) this.ackInBackground(delivery, request);
          return;
        }
      }
      if (this.events.listens('task-succeeded')) {
        this.outcomes.emit('task-succeeded', request, hostname, {
          result: value,
          runtime: seconds(started),
        });
      }
      if (steps) await this.workflow.afterStore(request, value);
      if (this.events.listens('task-returned')) {
        this.outcomes.emit('task-returned', request, hostname, { state: 'SUCCESS', result: value });
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
      if (running.onCommitWork)
        await afterCommitWork(running, limitsOf(request, definition).hard, started, this.logger);
      try {
        await this.outcomes.onError(
          delivery,
          request,
          definition,
          hostname,
          error,
          acksLate,
          seconds(started),
          controller,
          running.children,
        );
      } catch (crash) {
        await this.outcomes.lastResort(delivery, request, hostname, error, crash, acksLate);
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
    this.backgroundAcks.ack(delivery, request);
  }

  /** A task revoked with terminate finished anyway: its REVOKED stays, the message is acked. */
  private async dropLate(delivery: Delivery): Promise<void> {
    await delivery.ack();
  }
}
