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
import { seconds } from './task-timing.js';
import { BackgroundAcks } from './background-acks.js';
import { SharedSettlement } from './shared-settlement.js';
import type { TaskDefinition } from '../tasks/task-definition.js';
import { beginRun, type Begun, fastPathDefinition, NOT_CALLED } from './fast-path.js';
import { type FastPathContext, runFastPath } from './fast-path.run.js';

/**
 * Runs one delivered task message from start to settlement: checks (registered, revoked,
 * expired), ack mode, execution with context and time limits, result storage, retries, dead
 * letters and events. Never throws: every outcome ends in ack, reject or defer.
 */
@Injectable()
export class TaskExecutor {
  private readonly logger = new Logger('TaskQueue');
  private readonly backgroundAcks = BackgroundAcks.logging(this.logger);
  /** What settling a revoked task needs (built once). */
  private readonly revocation: RevocationDeps;
  /** What the fast path uses of this executor. */
  private readonly fast: FastPathContext;

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
    this.fast = {
      pools,
      recorder,
      outcomes,
      revoked,
      stores: new SharedSettlement(),
      begin: (job) =>
        beginRun(outcomes, recorder, job.delivery, job.request, job.hostname, job.controller),
      ack: (job) => this.backgroundAcks.ack(job.delivery, job.request),
      slow: (job, tracked, begun) => {
        const { delivery, request, hostname, controller, definition } = job;
        void this.runTracked(
          delivery,
          request,
          hostname,
          controller,
          definition,
          true,
          tracked,
          begun,
        ).then(job.finish, job.fail);
      },
    };
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
   * `execute()` for the worker's intake, reporting through callbacks: `finish` once the task is
   * settled, `fail` with what `execute()` would have rejected with. The common case (the
   * default instrumentation, acks late, a synchronous handler, its result stored) takes no
   * promise of its own: the tasks whose results share one batched store share one reaction.
   * Anything else goes the way of `execute()`.
   */
  run(
    delivery: Delivery,
    request: TaskRequest,
    hostname: string,
    controller: TaskAbort,
    finish: () => void,
    fail: (error: Error) => void,
  ): void {
    const { registry, revoked, instrumentation } = this;
    const definition = fastPathDefinition(delivery, request, registry, revoked, instrumentation);
    if (!definition)
      return void this.execute(delivery, request, hostname, controller).then(finish, fail);
    runFastPath(this.fast, { delivery, request, hostname, controller, definition, finish, fail });
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
    const begun = beginRun(this.outcomes, this.recorder, delivery, request, hostname, controller);
    return this.runTracked(
      delivery,
      request,
      hostname,
      controller,
      definition,
      acksLate,
      tracked,
      begun,
    );
  }

  /**
   * From the handler's call to settlement. `begun.outcome` is what the handler returned when
   * the fast path (see {@link FastPath}) already called it, `begun.threw` what it threw, and
   * `begun.write` its result's write on its way.
   */
  private async runTracked(
    delivery: Delivery,
    request: TaskRequest,
    hostname: string,
    controller: TaskAbort,
    definition: TaskDefinition,
    acksLate: boolean,
    tracked: TrackedRun,
    begun: Begun,
  ): Promise<void> {
    const { started, running } = begun;
    try {
      if (begun.threw) throw begun.threw.error;
      const outcome =
        begun.outcome === NOT_CALLED
          ? invokeTask(this.pools, definition, request, hostname, delivery, controller, running)
          : begun.outcome;
      // A synchronous handler's value is used as it is: no promise, no microtask.
      const value = isThenable(outcome) ? await outcome : outcome;
      if (running.onCommitWork)
        await afterCommitWork(running, limitsOf(request, definition).hard, started, this.logger);
      // Revoked with terminate while running: REVOKED is stored, the late result is dropped.
      if (abortReasonOf(controller) instanceof TaskRevokedError) return delivery.ack();
      // Celery's order: callbacks and chain are sent first, so the result lists them.
      const steps = hasSuccessSteps(request);
      // A link callback or chain step the broker refused fails the task, as in Celery's trace.
      const refused = steps ? await this.workflow.beforeStore(request, value, running) : null;
      if (refused || !(request.ignoreResult || definition.options.ignoreResult)) {
        // The backend's promise (shared by a batch of stores) is awaited as it is: no promise
        // of the outcome per task (see ResultRecorder.success); a failed write is recovered.
        const write =
          refused ??
          begun.write ??
          this.recorder.success(request, hostname, value, controller, running.children);
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
          const runtime = seconds(started);
          const args = [delivery, request, hostname, controller, running.children] as const;
          if (await this.outcomes.notStored(stored, ...args, runtime, acksLate)) {
            this.backgroundAcks.ack(delivery, request);
          }
          return;
        }
      }
      this.outcomes.succeeded(request, hostname, value, started, steps ? 'task-succeeded' : null);
      if (steps) {
        await this.workflow.afterStore(request, value);
        this.outcomes.succeeded(request, hostname, value, started, 'task-returned');
      }
      if (acksLate) this.backgroundAcks.ack(delivery, request);
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
      if (aborted instanceof TaskRevokedError) return delivery.ack();
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
}
