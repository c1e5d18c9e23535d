import type {
  ControlRevokeOptions,
  TaskRevoker,
} from '../monitoring/remote-control/control-client.options.js';
import { ConfigurationError } from '../errors/configuration.error.js';
import { ResultBackendError } from '../errors/result-backend.error.js';
import type { ResultBackend, TaskMeta } from '../contracts/result-backend.interface.js';
import { NO_RESULT_BACKEND } from '../task-queue.messages.js';
import { isReadyState, TaskStates, type TaskState } from './task-states.js';
import type { ResultTuple } from './chord-parts.js';
import { GroupResult, type ResultHandle } from './group-result.js';
import { errorOfMeta } from './meta-error.js';
import { waitFollowingParents } from './parent-failure.js';

export interface GetOptions {
  /** Milliseconds to wait; rejects with TaskTimeoutError after. Default: wait forever. */
  timeout?: number;
  /** Reject with the task's error when it failed (default true); false resolves the error meta. */
  propagate?: boolean;
  /**
   * Reject with a parent's error when a parent (the chain step before, a chord's header
   * member, and theirs) failed or was revoked, instead of waiting for this task (default
   * true; Celery's `follow_parents`). Only with `propagate` and a known `parent`.
   */
  followParents?: boolean;
  signal?: AbortSignal;
}

/**
 * A handle on a sent task: its id, and its state and value from the result backend.
 * `R` is the handler's return type.
 * @publicApi
 */
export class AsyncResult<R = unknown> {
  /**
   * The result this task's arguments came from: the previous step of a chain, or the header
   * group of a chord body (Celery's `AsyncResult.parent`). Set on the handles `applyAsync()`
   * of a canvas returns; null otherwise.
   */
  parent: ResultHandle | null = null;

  constructor(
    readonly id: string,
    private readonly backend: ResultBackend | null,
    readonly taskName?: string,
    private readonly revoker?: TaskRevoker,
  ) {}

  /**
   * Revoke this task on every worker, Node or Python (Celery's `AsyncResult.revoke`);
   * `terminate` also aborts it if it is running.
   */
  async revoke(options?: ControlRevokeOptions): Promise<void> {
    if (!this.revoker) {
      throw new ConfigurationError(
        `AsyncResult.revoke() needs remote control: get results through TaskClient (or TaskProducer) of a module with a broker.`,
      );
    }
    await this.revoker(this.id, options);
  }

  /** Current state, with Celery's names; PENDING when nothing is known yet. */
  async state(): Promise<TaskState> {
    return (await this.meta())?.status ?? TaskStates.PENDING;
  }

  /** The stored meta (state, result or progress meta, traceback, dates), or null. */
  async meta(): Promise<TaskMeta | null> {
    return this.requireBackend().get(this.id);
  }

  /** The progress meta of a custom state (`updateState('PROGRESS', meta)`), or the result. */
  async info(): Promise<unknown> {
    return (await this.meta())?.result ?? null;
  }

  /**
   * Wait for the task to finish and resolve its return value; rejects with the task's error
   * (a RemoteTaskError carrying the remote class name, message and stack), a
   * TaskRevokedError, or a TaskTimeoutError. With a `parent` (chain steps, chord bodies),
   * rejects as soon as a parent failed or was revoked, with that parent's error (Celery's
   * `follow_parents`; `followParents: false` waits for this task only).
   */
  async get(options: GetOptions = {}): Promise<R> {
    const backend = this.requireBackend();
    const { followParents, ...waitOptions } = options;
    const meta =
      this.parent && followParents !== false && options.propagate !== false
        ? await waitFollowingParents(this.id, this.parent, backend, waitOptions)
        : await backend.waitForReady(this.id, waitOptions);
    if (meta.status === TaskStates.SUCCESS || options.propagate === false) return meta.result as R;
    throw errorOfMeta(this.id, meta);
  }

  async ready(): Promise<boolean> {
    return isReadyState(await this.state());
  }

  async successful(): Promise<boolean> {
    return (await this.state()) === TaskStates.SUCCESS;
  }

  async failed(): Promise<boolean> {
    return (await this.state()) === TaskStates.FAILURE;
  }

  /**
   * The tasks and groups this task sent (chain steps, callbacks, groups), as its worker
   * recorded them in the result (Celery's `AsyncResult.children`); empty until it finished.
   */
  async children(): Promise<ResultHandle[]> {
    const children = (await this.meta())?.children ?? [];
    return children
      .filter((tuple): tuple is ResultTuple => Array.isArray(tuple))
      .map((tuple) => resultFromTuple(tuple, this.backend, this.revoker));
  }

  /** Celery's result tuple: `[[id, parent tuple or null], null]`. */
  asTuple(): ResultTuple {
    return [[this.id, this.parent?.asTuple() ?? null], null];
  }

  /** Remove the stored result. */
  async forget(): Promise<void> {
    await this.requireBackend().forget(this.id);
  }

  toJSON(): { id: string; task?: string } {
    return { id: this.id, task: this.taskName };
  }

  private requireBackend(): ResultBackend {
    if (!this.backend) throw new ResultBackendError(NO_RESULT_BACKEND(this.id));
    return this.backend;
  }
}

/**
 * The handle of a Celery result tuple (`[[id, parent], null]` for a task, `[[gid, null],
 * [members]]` for a group), parents included.
 */
export function resultFromTuple(
  tuple: ResultTuple,
  backend: ResultBackend | null,
  revoker?: TaskRevoker,
): ResultHandle {
  const [[id, parent], members] = tuple;
  if (Array.isArray(members)) {
    return new GroupResult(
      id,
      members.map((member) => resultFromTuple(member, backend, revoker)),
      backend,
    );
  }
  const result = new AsyncResult(id, backend, undefined, revoker);
  if (Array.isArray(parent)) result.parent = resultFromTuple(parent, backend, revoker);
  return result;
}
