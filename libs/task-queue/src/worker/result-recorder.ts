import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ResolvedTaskQueueOptions } from '../config/resolved-options.js';
import type {
  ResultBackend,
  SerializedError,
  TaskMeta,
} from '../interfaces/result-backend.interface.js';
import { errorTraceback, serializeError } from '../protocol/celery-error.codec.js';
import { celeryNow } from '../protocol/json-codec.js';
import type { TaskRequest } from '../protocol/task-request.js';
import type { TaskState } from '../results/task-states.js';
import { getResultBackendToken, getTaskQueueConfigToken } from '../utils/tokens.js';

/**
 * Writes task states to the result backend in Celery's format. A backend failure is logged
 * and never takes the worker down: the task's outcome is still acked or retried.
 */
@Injectable()
export class ResultRecorder {
  private readonly logger = new Logger('TaskQueue');

  constructor(
    @Inject(getResultBackendToken()) private readonly backend: ResultBackend | null,
    @Inject(getTaskQueueConfigToken()) private readonly config: ResolvedTaskQueueOptions,
  ) {}

  get enabled(): boolean {
    return this.backend !== null;
  }

  /** True when the backend already holds a SUCCESS for `taskId` (dedupe). */
  async alreadySucceeded(taskId: string): Promise<boolean> {
    if (!this.backend) return false;
    try {
      return (await this.backend.get(taskId))?.status === 'SUCCESS';
    } catch (error) {
      this.logger.warn(
        `Dedupe check of task ${taskId} failed (${(error as Error).message}); running it.`,
      );
      return false;
    }
  }

  /** Not `async`: one promise layer less on the hot path (store() never rejects). */
  success(request: TaskRequest, hostname: string, value: unknown): Promise<void> {
    return this.store(request, hostname, 'SUCCESS', value === undefined ? null : value, null);
  }

  async failure(
    request: Pick<TaskRequest, 'id'> & Partial<TaskRequest>,
    hostname: string,
    error: unknown,
  ): Promise<void> {
    await this.store(request, hostname, 'FAILURE', serializeError(error), errorTraceback(error));
  }

  async retry(request: TaskRequest, hostname: string, error: unknown): Promise<void> {
    await this.store(request, hostname, 'RETRY', serializeError(error), errorTraceback(error));
  }

  async revoked(
    request: Pick<TaskRequest, 'id'> & Partial<TaskRequest>,
    hostname: string,
    reason: string,
  ): Promise<void> {
    const error: SerializedError = {
      exc_type: 'TaskRevokedError',
      exc_message: [reason],
      exc_module: 'celery.exceptions',
    };
    await this.store(request, hostname, 'REVOKED', error, null);
  }

  /** STARTED, PROGRESS or any custom state. */
  async state(
    request: TaskRequest,
    hostname: string,
    state: TaskState,
    meta: unknown,
  ): Promise<void> {
    await this.store(request, hostname, state, meta ?? null, null);
  }

  /** Not `async` (one promise per result, not two); never rejects: failures are logged. */
  private store(
    request: Pick<TaskRequest, 'id'> & Partial<TaskRequest>,
    hostname: string,
    status: TaskState,
    result: unknown,
    traceback: string | null,
  ): Promise<void> {
    const backend = this.backend;
    if (!backend) return Promise.resolve();
    const ready = status === 'SUCCESS' || status === 'FAILURE' || status === 'REVOKED';
    const meta: TaskMeta = {
      task_id: request.id,
      status,
      result,
      traceback,
      children: [],
      // Python 5.2 reads fraction digits as microseconds: write six of them.
      date_done: ready ? celeryNow() : null,
      group_id: request.group ?? null,
      parent_id: request.parentId ?? null,
    };
    if (this.config.resultExtended) {
      Object.assign(meta, {
        name: request.name ?? null,
        args: request.args ?? null,
        kwargs: request.kwargs ?? null,
        worker: hostname,
        retries: request.retries ?? 0,
        queue: request.queue ?? null,
      });
    }
    const context = request.replyTo
      ? { replyTo: request.replyTo, correlationId: request.correlationId ?? request.id }
      : undefined;
    const failed = (error: unknown): void =>
      this.logger.error(
        `Could not store ${status} of task ${request.id} in the ${backend.kind} result backend: ` +
          `${(error as Error).message}. The task itself was handled; check the backend's connection.`,
      );
    try {
      return backend.store(meta, context).then(undefined, failed);
    } catch (error) {
      failed(error);
      return Promise.resolve();
    }
  }
}
