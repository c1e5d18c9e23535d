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
import { taskLogFields, type TaskLogFields } from '../tasks/task-log-fields.js';
import { Retry } from '../errors/task-signals.js';
import { retryTraceback } from './retry-reason.js';
import { explainUnencodable, isEncodingError, unencodableTopLevel } from './result-encodability.js';
import { buildTaskMeta, type MetaRequest } from './task-meta.builder.js';

/** How long a worker keeps retrying a result store while the backend is unreachable. */
const STORE_RETRY_WINDOW_MS = 60_000;
/** First and largest pause between two store attempts. */
const STORE_RETRY_FIRST_MS = 250;
const STORE_RETRY_MAX_MS = 5_000;

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
    return this.storeFailed(
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
    final?: { abort?: TaskAbort; value?: unknown; children?: ResultTuple[] },
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
          ? this.storeFailed(backend, request, hostname, meta, context, error, final)
          : ((custom && isEncodingError(error)
              ? explainUnencodable(custom.meta, `the meta of state ${status}`)
              : undefined) ?? this.logStoreError(backend, meta, error)),
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

  private logStoreError(
    backend: ResultBackend,
    meta: TaskMeta,
    error: unknown,
    fields: TaskLogFields = { taskId: meta.task_id, taskName: meta.name ?? '', queue: null },
  ): false {
    this.logger.error(
      `Could not store ${meta.status} of task ${meta.task_id} in the ${backend.kind} result ` +
        `backend: ${describeThrownLine(error)}. Check the backend's connection.`,
      fields,
    );
    return false;
  }

  /** A final state was not stored: unencodable (store the FAILURE instead) or backend down (retry). */
  private async storeFailed(
    backend: ResultBackend,
    request: MetaRequest,
    hostname: string,
    meta: TaskMeta,
    context: StoreContext | undefined,
    error: unknown,
    final: { abort?: TaskAbort; value?: unknown },
  ): Promise<boolean | UnserializableValueError> {
    if (isEncodingError(error)) {
      const why = meta.status === 'SUCCESS' ? explainUnencodable(final.value, 'result') : undefined;
      if (why) return why;
      // The arguments (result_extended) cannot be written: store the state without them.
      const { status, result, traceback } = meta;
      const extended = this.config.resultExtended;
      const bare = buildTaskMeta(request, hostname, status, result, traceback, extended, false);
      return attempt(backend, bare, context).then(
        () => true,
        (again: unknown) =>
          // The backend cannot encode the value although JSON can (a custom backend's codec).
          meta.status === 'SUCCESS' && isEncodingError(again)
            ? new UnserializableValueError('result', describeThrownLine(again), '$')
            : this.logStoreError(backend, bare, again),
      );
    }
    const fields = taskLogFields({
      id: request.id,
      name: request.name ?? meta.name ?? '',
      queue: request.queue ?? null,
    });
    const started = Date.now();
    let delay = STORE_RETRY_FIRST_MS;
    let last = error;
    this.logger.warn(
      `Could not store ${meta.status} of task ${meta.task_id} in the ${backend.kind} result ` +
        `backend (${describeThrownLine(error)}); retrying for up to ${STORE_RETRY_WINDOW_MS / 1000} s.`,
      fields,
    );
    while (Date.now() - started < STORE_RETRY_WINDOW_MS) {
      if (!(await pause(delay, final.abort))) break;
      delay = Math.min(delay * 2, STORE_RETRY_MAX_MS);
      try {
        await attempt(backend, meta, context);
        this.logger.log(
          `Stored ${meta.status} of task ${meta.task_id} after the backend came back.`,
          fields,
        );
        return true;
      } catch (again) {
        last = again;
      }
    }
    this.logStoreError(backend, meta, last, fields);
    return false;
  }
}

type StoreContext = { replyTo: string; correlationId: string };

/** A SUCCESS on its way to the result backend (see {@link ResultRecorder.success}). */
export interface SuccessWrite {
  /** Settles when the backend has it (resolves) or could not take it (rejects). */
  readonly written: Promise<void>;
  /** What is written; null without a result backend. */
  readonly meta: TaskMeta | null;
  readonly context: StoreContext | undefined;
  readonly request: MetaRequest;
  readonly hostname: string;
  readonly final: { abort?: TaskAbort; value?: unknown; children?: ResultTuple[] };
}

/** Nothing to write (no result backend): already done. */
const STORED: Promise<void> = Promise.resolve();

/** Where an `rpc://` result goes: the caller's reply queue, when the message names one. */
function contextOf(request: MetaRequest): StoreContext | undefined {
  return request.replyTo
    ? { replyTo: request.replyTo, correlationId: request.correlationId ?? request.id }
    : undefined;
}

/** `backend.store()`, with a synchronous throw turned into a rejection. */
function attempt(
  backend: ResultBackend,
  meta: TaskMeta,
  context: StoreContext | undefined,
): Promise<void> {
  try {
    return backend.store(meta, context);
  } catch (error) {
    return Promise.reject(error);
  }
}

/** Wait `ms`; resolves false at once if the task is aborted (shutdown gave it back). */
function pause(ms: number, abort?: TaskAbort): Promise<boolean> {
  if (!abort) return new Promise((resolve) => setTimeout(() => resolve(true), ms));
  const signal = abort.signal;
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
