import type { Logger } from '@nestjs/common';
import type { ResolvedTaskQueueOptions } from '../config/resolved-options.js';
import type { ResultBackend, TaskMeta } from '../contracts/result-backend.interface.js';
import { UnserializableValueError } from '../errors/unserializable-value.error.js';
import { MessageTooLargeError, ResultTooLargeError } from '../errors/message-too-large.error.js';
import { describeThrownLine } from '../protocol/thrown-value.js';
import { taskLogFields, type TaskLogFields } from '../tasks/task-log-fields.js';
import type { TaskAbort } from './lazy-abort.js';
import { isTooLargeRefusal, truncatedFailure } from './failure-truncation.js';
import { explainUnencodable, isEncodingError } from './result-encodability.js';
import { attempt, type FinalStore, type StoreContext } from './result-write.js';
import { buildTaskMeta, type MetaRequest } from './task-meta.builder.js';

/** Why a state JSON cannot hold is cut. */
const TOO_LONG = 'longer than the longest JSON text, about 512 MiB';
/** How long a worker keeps retrying a result store while the backend is unreachable. */
const STORE_RETRY_WINDOW_MS = 60_000;
/** First and largest pause between two store attempts. */
const STORE_RETRY_FIRST_MS = 250;
const STORE_RETRY_MAX_MS = 5_000;

/**
 * What happens to a state the result backend did not take: a final state (SUCCESS, FAILURE) is
 * stored without its arguments when only they cannot be encoded, or retried with backoff while
 * the backend is unreachable, for up to a minute or until the task's abort signal fires
 * (shutdown). Only reached after a failed write: the success path never comes here.
 */
export class ResultStoreRecovery {
  constructor(
    private readonly logger: Logger,
    private readonly config: ResolvedTaskQueueOptions,
  ) {}

  logStoreError(
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
  async storeFailed(
    backend: ResultBackend,
    request: MetaRequest,
    hostname: string,
    meta: TaskMeta,
    context: StoreContext | undefined,
    error: unknown,
    final: FinalStore,
  ): Promise<boolean | UnserializableValueError> {
    // A definite refusal, not an outage: retrying (and then running the task again) cannot help.
    if (error instanceof MessageTooLargeError && meta.status === 'SUCCESS') {
      return new ResultTooLargeError(error);
    }
    if (isTooLargeRefusal(error)) {
      const why = `${error.size} bytes, limit ${error.limit}`;
      return this.storeTruncated(
        backend,
        request,
        hostname,
        meta,
        context,
        why,
        error.limit,
        final,
      );
    }
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
          !isEncodingError(again)
            ? this.logStoreError(backend, bare, again)
            : meta.status === 'SUCCESS'
              ? new UnserializableValueError('result', describeThrownLine(again), '$')
              : // A FAILURE longer than the longest JSON text (a huge error message): cut it.
                this.storeTruncated(backend, request, hostname, meta, context, TOO_LONG, 0, final),
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
        // The backend came back and refused the state for its size (or said so only now).
        if (isTooLargeRefusal(again))
          return this.storeFailed(backend, request, hostname, meta, context, again, final);
        last = again;
      }
    }
    this.logStoreError(backend, meta, last, fields);
    return false;
  }

  /**
   * A FAILURE (or RETRY, REVOKED) the backend refused for its size: stored once with its
   * exception and traceback cut to fit, saying so. Resolves true whatever happens then, but for
   * an outage (retried as any other store): running the task again would fail the same way.
   */
  private async storeTruncated(
    backend: ResultBackend,
    request: MetaRequest,
    hostname: string,
    meta: TaskMeta,
    context: StoreContext | undefined,
    why: string,
    limit: number,
    final: FinalStore,
  ): Promise<boolean | UnserializableValueError> {
    const fields = taskLogFields({
      id: request.id,
      name: request.name ?? meta.name ?? '',
      queue: request.queue ?? null,
    });
    const label = `${meta.status} of task ${request.name ?? meta.name ?? ''}[${meta.task_id}]`;
    const short = truncatedFailure(meta, limit);
    if (!short) {
      this.logger.error(
        `Could not store ${label}: it is too large for the ${backend.kind} result backend ` +
          `(${why}); the message is acknowledged, not run again.`,
        fields,
      );
      return true;
    }
    this.logger.warn(
      `The ${label} is too large for the ${backend.kind} result backend ` +
        `(${why}): storing it with its exception ` +
        `message and traceback truncated, and without its arguments.`,
      fields,
    );
    try {
      await attempt(backend, short, context);
      return true;
    } catch (again) {
      if (!isTooLargeRefusal(again) && !isEncodingError(again)) {
        return this.storeFailed(backend, request, hostname, short, context, again, final);
      }
      this.logStoreError(backend, short, again, fields);
      return true;
    }
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
