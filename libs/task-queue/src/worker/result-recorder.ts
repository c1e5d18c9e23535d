import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ResolvedTaskQueueOptions } from '../config/resolved-options.js';
import type {
  ResultBackend,
  SerializedError,
  TaskMeta,
} from '../contracts/result-backend.interface.js';
import { errorTraceback, serializeError } from '../protocol/celery-error.codec.js';
import { UnserializableValueError } from '../errors/unserializable-value.error.js';
import { describeThrownLine } from '../protocol/thrown-value.js';
import type { TaskRequest } from '../protocol/task-request.js';
import type { TaskState } from '../results/task-states.js';
import type { ResultTuple } from '../results/chord-parts.js';
import { getResultBackendToken, getTaskQueueConfigToken } from '../utils/tokens.js';
import type { TaskAbort } from './lazy-abort.js';
import { Retry } from '../errors/task-signals.js';
import { retryTraceback } from './retry-reason.js';
import { explainUnencodable, isEncodingError, unencodableTopLevel } from './result-encodability.js';
import { ResultStoreRecovery } from './result-store-recovery.js';
import { attempt, contextOf, STORED, type FinalStore, type SuccessWrite } from './result-write.js';
import { buildTaskMeta, type MetaRequest } from './task-meta.builder.js';

/**
 * Writes task states to the result backend in Celery's format. Never rejects and never takes
 * the worker down. A final state (SUCCESS, FAILURE) is retried with backoff while the backend
 * is unreachable, for up to a minute or until the task's abort signal fires (shutdown), and
 * resolves false if it could not be stored: the caller then requeues instead of acking. A
 * return value JSON cannot carry (a cycle, nesting too deep) is stored as the task's FAILURE.
 */
@Injectable()
export class ResultRecorder {
  private readonly logger = new Logger('TaskQueue');
  /** Where a write the backend did not take goes (the outage and unencodable paths). */
  private readonly recovery: ResultStoreRecovery;

  constructor(
    @Inject(getResultBackendToken()) private readonly backend: ResultBackend | null,
    @Inject(getTaskQueueConfigToken()) private readonly config: ResolvedTaskQueueOptions,
  ) {
    this.recovery = new ResultStoreRecovery(this.logger, config);
  }

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
        `Dedupe check of task ${taskId} failed (${describeThrownLine(error)}); running it.`,
      );
      return false;
    }
  }

  /**
   * Store SUCCESS: the write on its way, or the error saying why the value cannot be stored (a
   * cycle, nesting too deep, a Map or a Set): nothing is stored then, the caller records the
   * task's FAILURE. Await the write's `written`; if it rejects, {@link recover} says what became
   * of it. Not a promise of the outcome: the backend's own promise (shared by a batch of
   * stores) is awaited as it is, one promise less per task on the hot path.
   */
  success(
    request: TaskRequest,
    hostname: string,
    value: unknown,
    abort?: TaskAbort,
    children?: ResultTuple[],
  ): SuccessWrite | UnserializableValueError {
    const invalid = unencodableTopLevel(value);
    if (invalid) return invalid;
    const backend = this.backend;
    const final = { abort, value, children };
    if (!backend)
      return { written: STORED, meta: null, context: undefined, request, hostname, final };
    const result = value === undefined ? null : value;
    const meta = this.metaOf(request, hostname, 'SUCCESS', result, null, children);
    const context = contextOf(request);
    return { written: attempt(backend, meta, context), meta, context, request, hostname, final };
  }

  /**
   * A SUCCESS write failed with `error`: retried while the backend is unreachable. Resolves
   * true once stored, false when the backend could not be reached, or the error saying why the
   * value cannot be stored (as {@link success} returns it).
   */
  recover(write: SuccessWrite, error: unknown): Promise<boolean | UnserializableValueError> {
    const backend = this.backend;
    if (!backend || !write.meta) return Promise.resolve(true);
    return this.recovery.storeFailed(
      backend,
      write.request,
      write.hostname,
      write.meta,
      write.context,
      error,
      write.final,
    );
  }

  /** Store FAILURE, with what the task sent before it failed (`children`, as Celery does). */
  failure(
    request: MetaRequest,
    hostname: string,
    error: unknown,
    abort?: TaskAbort,
    children?: ResultTuple[],
  ): Promise<boolean> {
    return this.store(request, hostname, 'FAILURE', serializeError(error), errorTraceback(error), {
      abort,
      children,
    }).then((stored) => stored === true);
  }

  /**
   * Store RETRY as Celery's `mark_as_retry(id, reason.exc)`: the cause (`retry({ error })`, an
   * autoretried error), or null for a bare `retry()` (Python's `info` is None); the traceback
   * ends with `celery.exceptions.Retry: <reason>` (`Retry in 5s`), as Python's does.
   */
  async retry(
    request: TaskRequest,
    hostname: string,
    error: unknown,
    reason: string,
  ): Promise<void> {
    const result: SerializedError | null = error instanceof Retry ? null : serializeError(error);
    const traceback = retryTraceback(errorTraceback(error), error, reason);
    await this.store(request, hostname, 'RETRY', result, traceback);
  }

  /** Store REVOKED with Celery's TaskRevokedError(reason); resolves that error. */
  async revoked(request: MetaRequest, hostname: string, reason: string): Promise<SerializedError> {
    const error: SerializedError = {
      exc_type: 'TaskRevokedError',
      exc_message: [reason],
      exc_module: 'celery.exceptions',
    };
    await this.store(request, hostname, 'REVOKED', error, null);
    return error;
  }

  /** Celery's `track_started`: STARTED with `{ pid, hostname }` (a failed store is only logged). */
  started(request: TaskRequest, hostname: string): Promise<void> {
    return this.state(request, hostname, 'STARTED', { pid: process.pid, hostname });
  }

  /**
   * STARTED, PROGRESS or any custom state. Rejects with UnserializableValueError when JSON
   * cannot carry `meta` (Celery's `update_state` raises EncodeError in the task); was: resolved,
   * with an error line telling to check the backend's connection.
   */
  async state(
    request: TaskRequest,
    hostname: string,
    state: TaskState,
    meta: unknown,
  ): Promise<void> {
    const stored = await this.store(request, hostname, state, meta ?? null, null, undefined, {
      meta,
    });
    if (stored instanceof UnserializableValueError) throw stored;
  }

  /**
   * Store one state; resolves true once stored (or when there is no backend). `final` states
   * (given `retry` options) are retried while the backend is unreachable.
   */
  private store(
    request: MetaRequest,
    hostname: string,
    status: TaskState,
    result: unknown,
    traceback: string | null,
    final?: FinalStore,
    custom?: { meta: unknown },
  ): Promise<boolean | UnserializableValueError> {
    const backend = this.backend;
    if (!backend) return Promise.resolve(true);
    const meta = this.metaOf(request, hostname, status, result, traceback, final?.children);
    const context = contextOf(request);
    return attempt(backend, meta, context).then(
      () => true,
      (error: unknown) =>
        final
          ? this.recovery.storeFailed(backend, request, hostname, meta, context, error, final)
          : ((custom && isEncodingError(error)
              ? explainUnencodable(custom.meta, `the meta of state ${status}`)
              : undefined) ?? this.recovery.logStoreError(backend, meta, error)),
    );
  }

  private metaOf(
    request: MetaRequest,
    hostname: string,
    status: TaskState,
    result: unknown,
    traceback: string | null,
    children: ResultTuple[] | undefined,
  ): TaskMeta {
    const extended = this.config.resultExtended;
    const meta = buildTaskMeta(request, hostname, status, result, traceback, extended, true);
    if (children) meta.children = children;
    return meta;
  }
}
