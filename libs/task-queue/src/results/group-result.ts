import type { ResultBackend } from '../contracts/result-backend.interface.js';
import { isGroupStore } from '../contracts/group-store.interface.js';
import { GroupStoreUnsupportedError } from '../errors/group-store-unsupported.error.js';
import { TaskTimeoutError } from '../errors/task-timeout.error.js';
import type { AsyncResult, GetOptions } from './async-result.js';
import type { ResultTuple } from './chord-parts.js';

/** A member of a group: a task result, or a nested group. */
export type ResultHandle = AsyncResult | GroupResult<readonly unknown[]>;

/**
 * A handle on the results of a group (Celery's `GroupResult`): its id (the members' `group_id`)
 * and its members in group order. `R` is the tuple of the members' values.
 * @publicApi
 */
export class GroupResult<R extends readonly unknown[] = unknown[]> {
  /** The result this group's arguments came from (a chain step before it), when known. */
  parent: ResultHandle | null = null;

  constructor(
    readonly id: string,
    readonly results: readonly ResultHandle[],
    private readonly backend: ResultBackend | null,
  ) {}

  /**
   * Wait for every member and resolve their values in group order (Celery's `join`); rejects
   * with the first failed member's error (`propagate: false` resolves error metas instead).
   * `timeout` bounds the whole wait, not each member's, as Celery's `join(timeout=)`: past it,
   * a TaskTimeoutError names the member still waited for.
   */
  async get(options: GetOptions = {}): Promise<R> {
    const { timeout, signal, ...rest } = options;
    const values: unknown[] = [];
    if (timeout === undefined) {
      for (const result of this.results) values.push(await result.get(options));
      return values as unknown as R;
    }
    const deadline = new AbortController();
    let waitingFor = this.id;
    const timer = setTimeout(() => deadline.abort(this.timedOut(waitingFor, timeout)), timeout);
    const onAbort = (): void => deadline.abort(signal?.reason);
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for (const result of this.results) {
        waitingFor = result.id;
        values.push(await result.get({ ...rest, signal: deadline.signal }));
      }
      return values as unknown as R;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private timedOut(memberId: string, timeoutMs: number): TaskTimeoutError {
    return new TaskTimeoutError(
      memberId,
      timeoutMs,
      false,
      `get() of group ${this.id} waits at most the timeout for all its ${this.results.length} ` +
        `members together, as Celery's join(timeout=). They may still run: call get() again ` +
        `with a longer timeout, or check that a worker consumes their queue.`,
    );
  }

  /** How many members finished successfully (nested groups count when all of theirs did). */
  async completedCount(): Promise<number> {
    const done = await Promise.all(this.results.map((r) => r.successful()));
    return done.filter(Boolean).length;
  }

  /** True when every member is ready (succeeded, failed or was revoked). */
  async ready(): Promise<boolean> {
    return (await Promise.all(this.results.map((r) => r.ready()))).every(Boolean);
  }

  /** True when every member succeeded. */
  async successful(): Promise<boolean> {
    return (await Promise.all(this.results.map((r) => r.successful()))).every(Boolean);
  }

  /** True when any member failed. */
  async failed(): Promise<boolean> {
    return (await Promise.all(this.results.map((r) => r.failed()))).some(Boolean);
  }

  /**
   * Store the group (`celery-taskset-meta-<id>` on Redis, a `task_group_result` row with
   * `typeorm`, the process with `memory`) so another process can restore it by id:
   * `TaskClient.restoreGroup(id)`, or Python's `GroupResult.restore(id)` on Redis. Throws
   * {@link GroupStoreUnsupportedError} on `rpc://`, as Celery's rpc backend cannot save groups.
   */
  async save(): Promise<void> {
    if (!isGroupStore(this.backend)) {
      throw new GroupStoreUnsupportedError(this.backend?.kind ?? 'none', 'GroupResult.save()');
    }
    await this.backend.saveGroup(
      this.id,
      this.results.map((r) => r.asTuple()),
    );
  }

  /** Celery's result tuple: `[[id, null], [member tuples]]`. */
  asTuple(): ResultTuple {
    return [[this.id, null], this.results.map((r) => r.asTuple())];
  }

  toJSON(): { id: string; results: unknown[] } {
    return { id: this.id, results: this.results.map((r) => r.toJSON()) };
  }
}
