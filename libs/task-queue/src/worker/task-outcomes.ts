import type { ResultTuple } from '../results/chord-parts.js';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { TaskDefinition } from '../tasks/task-definition.js';
import type { Retry } from '../errors/task-signals.js';
import type { Broker, Delivery } from '../contracts/broker.interface.js';
import { retryMessage } from '../protocol/retry-message.js';
import type { TaskRequest } from '../protocol/task-request.js';
import { getBrokerToken } from '../utils/tokens.js';
import { WorkflowService } from '../canvas/workflow.service.js';
import { DeadLetters } from './dead-letters.js';
import { WorkerShutdownSignal } from './worker-shutdown.signal.js';
import { ResultRecorder } from './result-recorder.js';
import { retryDelaySeconds } from './retry-policy.js';
import { retryReason } from './retry-reason.js';
import { decideFailure } from './failure-decision.js';
import { displayName, shadowOf, TaskEvents, type TaskEvent } from '../tasks/task-events.js';
import { abortReasonOf, type TaskAbort } from './lazy-abort.js';
import { describe, errorInfo } from './task-error.info.js';
import { NO_INSTRUMENTATION, type TaskInstrumentation } from '../tasks/task-instrumentation.js';
import { PUBLISH_INSTRUMENTATION } from '../tasks/sent-reporting.instrumentation.js';
import { taskLogFields } from '../tasks/task-log-fields.js';
import { LOG_MESSAGE_CHARS, logCut, logStack } from '../utils/log-text.js';

/**
 * How a task attempt that did not succeed is settled: carries out {@link decideFailure}'s
 * decision (Ignore, Reject, retries, FAILURE with dead letters, a lost isolate), handles an
 * outcome that could not be stored, and the last resort when handling the failure itself
 * failed. Also emits the task events.
 */
@Injectable()
export class TaskOutcomes {
  private readonly logger = new Logger('TaskQueue');

  constructor(
    private readonly recorder: ResultRecorder,
    private readonly events: TaskEvents,
    private readonly deadLetters: DeadLetters,
    private readonly workflow: WorkflowService,
    @Inject(getBrokerToken()) private readonly broker: Broker,
    @Optional()
    @Inject(PUBLISH_INSTRUMENTATION)
    private readonly instrumentation: TaskInstrumentation = NO_INSTRUMENTATION,
  ) {}

  async onError(
    delivery: Delivery,
    request: TaskRequest,
    definition: TaskDefinition,
    hostname: string,
    error: unknown,
    acksLate: boolean,
    runtime: number,
    controller: TaskAbort,
    children?: ResultTuple[],
  ): Promise<void> {
    const settle = async (): Promise<void> => {
      if (acksLate) await delivery.ack();
    };
    const decision = decideFailure(error, definition.options, request, acksLate);
    switch (decision.kind) {
      case 'ignore':
        return settle();
      case 'requeue-lost':
        // Celery's acks_late + task_reject_on_worker_lost: the message goes back to the queue.
        this.logger.warn(
          `Task ${displayName(request)}[${request.id}] lost its isolate (${decision.error.detail}); requeued.`,
          taskLogFields(request),
        );
        return delivery.reject(true);
      case 'reject': {
        const { reason, requeue } = decision.signal;
        this.emit('task-rejected', request, hostname, { reason });
        if (!acksLate) return;
        return requeue
          ? delivery.reject(true)
          : this.deadLetters.deadLetter(delivery, `rejected: ${reason}`, { kind: 'rejected' });
      }
      case 'retry':
        await this.retry(delivery, request, definition, hostname, decision.options, decision.cause);
        return settle();
      case 'exhausted':
        if (!(await this.fail(request, hostname, decision.error, runtime, controller, children))) {
          return this.unstored(delivery, request, controller, acksLate);
        }
        if (!acksLate) return;
        return this.deadLetters.deadLetter(
          delivery,
          `max retries (${decision.max}) exceeded: ${describe(decision.error)}`,
          { kind: 'max_retries' },
        );
      case 'fail':
        if (!(await this.fail(request, hostname, decision.error, runtime, controller, children))) {
          return this.unstored(delivery, request, controller, acksLate);
        }
        return settle();
    }
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
    // Celery's `if countdown:`: a retry due now (countdown 0) carries no eta.
    const eta = options.eta ?? (delay ? new Date(Date.now() + delay * 1000) : null);
    const message = retryMessage(request, eta);
    const publish = { queue: delivery.queue, priority: delivery.deliveryInfo.priority };
    await this.instrumentation.wrapPublish({ message, options: publish, via: 'retry' }, () =>
      this.broker.publish(message, publish),
    );
    // Celery's str(Retry): `Retry in 5s`, `Retry at <eta>`, then `: KeyError('again')`.
    const reason = retryReason(options.eta ?? delay, cause);
    await this.recorder.retry(request, hostname, cause, reason);
    this.logger.log(
      `Task ${displayName(request)}[${request.id}] retry: ${logCut(reason, LOG_MESSAGE_CHARS)}`,
      taskLogFields(request, delivery.queue),
    );
    this.emit('task-retried', request, hostname, { error: errorInfo(cause), cause, reason });
  }

  /** Record a failure; resolves false when the FAILURE could not be stored (backend down). */
  async fail(
    request: TaskRequest,
    hostname: string,
    error: unknown,
    runtime: number,
    controller?: TaskAbort,
    children?: ResultTuple[],
  ): Promise<boolean> {
    // Stored first: callers waiting for the result need not wait for the log line.
    const stored = await this.recorder.failure(request, hostname, error, controller, children);
    const info = errorInfo(error);
    this.logger.error(
      `Task ${displayName(request)}[${request.id}] failed: ` +
        `${logCut(info!.name, LOG_MESSAGE_CHARS)}: ${logCut(info!.message, LOG_MESSAGE_CHARS)}`,
      taskLogFields(request),
      info!.stack === undefined ? undefined : logStack(info!.stack, info!.message),
    );
    this.emit('task-failed', request, hostname, { error: info, cause: error, runtime });
    await this.workflow.onFailure(request, error, hostname);
    this.emit('task-returned', request, hostname, { state: 'FAILURE', cause: error });
    return stored;
  }

  /**
   * The outcome could not be stored (result backend unreachable after retries): give the
   * message back so the task runs again, rather than ack a task whose caller waits forever.
   */
  async unstored(
    delivery: Delivery,
    request: TaskRequest,
    controller: TaskAbort,
    acksLate: boolean,
  ): Promise<void> {
    if (!acksLate) {
      this.logger.error(
        `Task ${displayName(request)}[${request.id}] ran, but its outcome could not be stored and ` +
          `its message was acked before it ran (acksLate: false): its result is lost.`,
        taskLogFields(request),
      );
      return;
    }
    // The shutdown stopped the store retries and has requeued the message already.
    if (abortReasonOf(controller) instanceof WorkerShutdownSignal) {
      this.logger.warn(
        `Task ${displayName(request)}[${request.id}] ran, but its outcome was not stored in the ` +
          `result backend before the worker stopped; its message was requeued and the task ` +
          `will run again.`,
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

  /**
   * Handling the failure itself failed (a dead-letter publish, a workflow step): record a
   * FAILURE if possible and settle the message anyway, so it is never left unsettled.
   */
  async lastResort(
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

  emit(
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
