import { Inject, Injectable, Optional } from '@nestjs/common';
import { checkSendTiming } from './send-timing.check.js';
import type { ControlRevokeOptions } from '../monitoring/remote-control/control-client.options.js';
import { TaskRevoker } from '../revocation/task-revoker.js';
import type { EntityManager } from '../contracts/typeorm-peer.types.js';
import type { ResolvedTaskQueueOptions } from '../config/resolved-options.js';
import type {
  ApplyOptions,
  SendOptions,
  SignatureLike,
} from '../contracts/apply-options.interface.js';
import type { SignatureDict } from '../contracts/task-message.interface.js';
import { toDict } from './canvas/signature-options.js';
import type { Broker } from '../contracts/broker.interface.js';
import type { ResultBackend } from '../contracts/result-backend.interface.js';
import type { TaskOptions } from '../contracts/task-options.interface.js';
import { PublishOutcomeUnknownError } from '../errors/publish-outcome-unknown.error.js';
import { createTaskMessage } from '../protocol/task-message.factory.js';
import { DEDUPE_HEADER } from '../task-queue.constants.js';
import { AsyncResult } from '../results/async-result.js';
import { getBrokerToken, getResultBackendToken, getTaskQueueConfigToken } from '../utils/tokens.js';
import {
  addChildResult,
  childRecorder,
  taskContextStorage,
} from '../tasks/task-context.storage.js';
import { resultTuple, type ResultTuple } from '../results/chord-parts.js';
import { TaskRouter } from './task.router.js';
import { ConfigurationError } from '../errors/configuration.error.js';
import { rebaseTimes } from './relative-times.js';
import type { OnCommitApi } from '../errors/no-active-transaction.error.js';
import {
  ON_COMMIT_DISPATCH,
  type OnCommitDispatchStrategy,
  type PreparedTask,
} from './on-commit-dispatch.strategy.js';
import { NO_INSTRUMENTATION, type TaskInstrumentation } from '../tasks/task-instrumentation.js';
import { PUBLISH_INSTRUMENTATION } from '../tasks/sent-reporting.instrumentation.js';

/** `link` / `linkError` as the embedded signature list, or null. */
function signatureList(value: ApplyOptions['link']): SignatureDict[] | null {
  if (!value) return null;
  const list = (Array.isArray(value) ? value : [value]) as SignatureLike[];
  return list.length > 0 ? list.map(toDict) : null;
}

/** `sendOnCommit` options: the transaction's manager when not found implicitly. */
export interface OnCommitSendOptions extends SendOptions {
  manager?: EntityManager;
}

export type { PreparedTask } from './on-commit-dispatch.strategy.js';

/**
 * Turns a call into a protocol v2 message and publishes it. The one place that decides
 * message fields: ids, parentage (a task sent from inside a task gets its root and parent),
 * ETA, expiry, time limits, routing.
 */
@Injectable()
export class TaskDispatcher {
  constructor(
    @Inject(getBrokerToken()) private readonly broker: Broker,
    @Inject(getResultBackendToken()) private readonly backend: ResultBackend | null,
    @Inject(getTaskQueueConfigToken()) private readonly config: ResolvedTaskQueueOptions,
    private readonly router: TaskRouter,
    private readonly revoker: TaskRevoker,
    @Optional()
    @Inject(ON_COMMIT_DISPATCH)
    private readonly onCommitDispatch?: OnCommitDispatchStrategy,
    @Optional()
    @Inject(PUBLISH_INSTRUMENTATION)
    private readonly instrumentation: TaskInstrumentation = NO_INSTRUMENTATION,
  ) {
    // Decided once: sends cost nothing more when the outbox is off.
    if (config.typeorm?.dispatch === 'outbox' && onCommitDispatch?.routeSend) {
      this.routeSend = onCommitDispatch.routeSend.bind(onCommitDispatch);
    }
  }

  private readonly routeSend?: (prepared: PreparedTask) => Promise<void> | undefined;

  /** Revoke on every worker (see {@link TaskRevoker}). */
  revoke(ids: string | string[], options: ControlRevokeOptions = {}): Promise<void> {
    return this.revoker.revoke(ids, options);
  }

  prepare(
    name: string,
    args: readonly unknown[],
    options: SendOptions,
    taskOptions: TaskOptions = {},
  ): PreparedTask {
    const merged = { ...this.config.taskDefaults, ...taskOptions };
    const destination = this.router.route(name, merged, options);
    const parent = taskContextStorage.getStore()?.request;
    const now = Date.now();
    checkSendTiming(name, options, now);
    // Celery's `if countdown:`: a countdown of 0 sends no eta (no ETA task for the worker).
    const eta =
      options.eta ?? (options.countdown ? new Date(now + options.countdown * 1000) : null);
    const expiresIn = options.expires ?? merged.expires;
    const expires =
      expiresIn instanceof Date
        ? expiresIn
        : expiresIn !== undefined
          ? new Date(now + expiresIn * 1000)
          : null;
    const message = createTaskMessage({
      name,
      // Celery's `task_id or uuid()`: an empty id gets a new one.
      id: options.taskId || undefined,
      args,
      kwargs: options.kwargs,
      eta,
      expires,
      timeLimit: options.timeLimit ?? merged.timeLimit,
      softTimeLimit: options.softTimeLimit ?? merged.softTimeLimit,
      rootId: parent?.rootId,
      parentId: parent?.id,
      priority: destination.priority,
      ignoreResult: options.ignoreResult ?? merged.ignoreResult,
      replyTo: this.backend?.replyTo,
      shadow: options.shadow,
      headers: options.headers,
      embed:
        options.link || options.linkError
          ? { callbacks: signatureList(options.link), errbacks: signatureList(options.linkError) }
          : undefined,
    });
    const relative = {
      ...(!options.eta && options.countdown ? { countdownMs: options.countdown * 1000 } : {}),
      ...(typeof expiresIn === 'number' ? { expiresInMs: expiresIn * 1000 } : {}),
    };
    return {
      message,
      publish: {
        queue: destination.queue,
        priority: destination.priority,
        ...(destination.exchange !== undefined
          ? { exchange: destination.exchange, routingKey: destination.routingKey }
          : {}),
      },
      ...(Object.keys(relative).length > 0 ? { relative } : {}),
    };
  }

  async publish(prepared: PreparedTask): Promise<void> {
    const { message, publish, deferred } = prepared;
    await this.instrumentation.wrapPublish(
      {
        message,
        options: publish,
        via: deferred?.via ?? 'send',
        context: deferred?.context,
        decidedAt: deferred?.decidedAt,
      },
      () => this.broker.publish(message, publish),
    );
  }

  /** Prepare, publish and return the handle. */
  async send<R>(
    name: string,
    args: readonly unknown[],
    options: SendOptions,
    taskOptions?: TaskOptions,
  ): Promise<AsyncResult<R>> {
    const prepared = this.prepare(name, args, options, taskOptions);
    await (this.routeSend?.(prepared) ?? this.publish(prepared));
    addChildResult(resultTuple(prepared.message.headers.id));
    return this.result<R>(prepared.message.headers.id, name);
  }

  /**
   * Send once the surrounding TypeORM transaction commits, and return the handle at once (so
   * the caller can store the id in the same transaction). `after-commit` mode publishes after
   * COMMIT with retries; `outbox` mode writes the message to `task_outbox` in the transaction.
   * No transaction: publish now, or throw NoActiveTransactionError with `strict`.
   */
  async sendOnCommit<R>(
    name: string,
    args: readonly unknown[],
    options: OnCommitSendOptions,
    taskOptions?: TaskOptions,
    api: OnCommitApi = 'applyAsyncOnCommit',
  ): Promise<AsyncResult<R>> {
    const { manager, ...sendOptions } = options;
    const prepared = this.prepare(name, args, sendOptions, taskOptions);
    const id = prepared.message.headers.id;
    await this.dispatchOnCommit(prepared, manager, api, resultTuple(id));
    return this.result<R>(id, name);
  }

  /**
   * Hand a prepared message to the on-commit strategy (after-commit publish, or the outbox);
   * canvases use it for each of their messages. `api` names the call in a strict-mode error.
   * `child` is recorded in the running task's children once the message is committed (and, in
   * after-commit mode, published), as Celery's send from an `on_commit` callback does.
   */
  async dispatchOnCommit(
    prepared: PreparedTask,
    manager?: EntityManager,
    api: OnCommitApi = 'applyAsyncOnCommit',
    child?: ResultTuple,
  ): Promise<void> {
    const typeorm = this.config.typeorm;
    if (typeorm?.dispatch === 'outbox') {
      // The relay may publish a row twice (crash after publish, before delete): let workers dedupe.
      (prepared.message.headers as Record<string, unknown>)[DEDUPE_HEADER] = true;
    } else {
      // The trace context of the caller, not of whoever commits (outbox mode: the writer's).
      prepared.deferred = {
        via: 'after-commit',
        context: this.instrumentation.captureContext(),
        decidedAt: Date.now(),
      };
    }
    if (!this.onCommitDispatch) {
      throw new ConfigurationError(
        'delayOnCommit() / applyAsyncOnCommit() need the TypeORM integration of TaskQueueModule.',
      );
    }
    let rebased = false;
    await this.onCommitDispatch.dispatch(
      prepared,
      () => {
        // After the COMMIT: a countdown or expires in seconds counts from now, once (retries
        // publish the same message).
        if (!rebased) rebaseTimes(prepared.message, prepared.relative);
        rebased = true;
        return this.publishAgainSafely(prepared);
      },
      manager,
      api,
      child && childRecorder(child),
    );
  }

  /**
   * Publish for a caller that retries on failure (after-commit dispatch): every attempt sends
   * the same message, so the same task id; once an attempt's outcome is unknown (it may have
   * been delivered), the next ones ask workers to dedupe, so at most one copy runs to success.
   */
  private async publishAgainSafely(prepared: PreparedTask): Promise<void> {
    try {
      await this.publish(prepared);
    } catch (error) {
      if (error instanceof PublishOutcomeUnknownError)
        (prepared.message.headers as Record<string, unknown>)[DEDUPE_HEADER] = true;
      throw error;
    }
  }

  /** The module's result backend (null when results are disabled). */
  backendOf(): ResultBackend | null {
    return this.backend;
  }

  result<R>(id: string, name?: string): AsyncResult<R> {
    return new AsyncResult<R>(id, this.backend, name, (taskId, options) =>
      this.revoke(taskId, options),
    );
  }
}
