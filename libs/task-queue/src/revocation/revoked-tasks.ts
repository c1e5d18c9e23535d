import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Revocation, RevocationStore } from '../contracts/revocation-store.interface.js';
import { TaskRevokedError } from '../errors/task-revoked.error.js';
import { getRevocationStoreToken } from '../utils/tokens.js';
import { SlotList, type Slotted } from '../utils/slot-list.js';
import type { TaskAbort } from '../worker/lazy-abort.js';
import type { TaskRequest } from '../protocol/task-request.js';
import { taskLogFields, type TaskLogFields } from '../tasks/task-log-fields.js';

export interface RevokeOptions {
  /** Abort the task's AbortSignal if it is already running (Celery's `terminate=True`). */
  terminate?: boolean;
  reason?: string;
  /**
   * With `terminate`, the signal Celery would send the task's process (default `SIGTERM`):
   * `SIGUSR1` aborts the task's AbortSignal without stopping its isolate (docs/pools.md).
   */
  signal?: string;
  /** How long the revocation is kept (default 3 h, Celery's `REVOKES_MAX` window in time). */
  ttlMs?: number;
}

const DEFAULT_TTL_MS = 3 * 3600_000;

/** A running task as {@link RevokedTasks} tracks it (returned by `track`). */
export interface TrackedRun<T = unknown> extends Slotted {
  readonly id: string;
  readonly controller: TaskAbort;
  /** What the tracker attached (the worker: the request being run). */
  readonly owner?: T;
}

/**
 * Revocations: written to a persistent store and mirrored in memory on every worker, so a
 * task revoked while no worker was running is still skipped when one starts. Running tasks
 * revoked with `terminate` get their AbortSignal fired.
 * @publicApi
 */
@Injectable()
export class RevokedTasks implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('TaskQueue');
  private readonly revoked = new Map<string, Revocation>();
  private readonly running = new SlotList<TrackedRun>();
  private unsubscribe?: () => void;
  private following?: Promise<void>;
  private terminated?: (run: TrackedRun) => void;

  constructor(@Inject(getRevocationStoreToken()) private readonly store: RevocationStore) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.store.connect();
  }

  /**
   * Mirror the store in memory: revocations made so far and every one made from now on. Only a
   * consuming worker needs this; `WorkerService.start()` calls it (idempotent).
   */
  follow(): Promise<void> {
    this.following ??= (async () => {
      this.unsubscribe = await this.store.subscribe((list) => this.apply(list));
      this.apply(await this.store.load());
    })();
    return this.following;
  }

  async onApplicationShutdown(): Promise<void> {
    this.unsubscribe?.();
    await this.store.close();
  }

  /** Revoke tasks by id on every worker, now and for `ttlMs`. */
  async revoke(ids: string | string[], options: RevokeOptions = {}): Promise<void> {
    const expiresAt = Date.now() + (options.ttlMs ?? DEFAULT_TTL_MS);
    const list = [ids].flat().map((id) => ({
      id,
      expiresAt,
      terminate: options.terminate ?? false,
      reason: options.reason ?? 'revoked',
      ...(options.terminate && options.signal ? { signal: options.signal } : {}),
    }));
    this.apply(list);
    await this.store.add(list);
  }

  /**
   * Remember on this worker only that task `id` arrived expired (Celery's
   * `Request.maybe_expire` adds it to the worker's revoked set): `inspect revoked` lists it and
   * a redelivery is discarded as expired, for the usual 3 h. Not stored nor broadcast.
   */
  noteExpired(id: string): void {
    if (this.revoked.has(id)) return;
    const expiresAt = Date.now() + DEFAULT_TTL_MS;
    this.revoked.set(id, { id, expiresAt, terminate: false, reason: 'expired' });
  }

  /**
   * Remember on this worker only the revocations another worker told it of in Celery's mingle
   * (`hello`), as a Python worker does; ids already known keep what this worker knows of them.
   */
  absorb(list: Iterable<Revocation>): void {
    for (const revocation of list) {
      if (!this.get(revocation.id)) this.revoked.set(revocation.id, revocation);
    }
  }

  /** The revocation of `id`, if any and not expired. */
  get(id: string): Revocation | undefined {
    const entry = this.revoked.get(id);
    if (entry && entry.expiresAt <= Date.now()) {
      this.revoked.delete(id);
      return undefined;
    }
    return entry;
  }

  ids(): string[] {
    return this.live().map((r) => r.id);
  }

  /** Every revocation this worker knows that has not expired. */
  live(): Revocation[] {
    const now = Date.now();
    return [...this.revoked.values()].filter((r) => r.expiresAt > now);
  }

  /** Track a running task so `revoke(terminate)` can abort it; undo with {@link untrack}. */
  track(id: string, controller: TaskAbort, owner?: unknown): TrackedRun {
    const run: TrackedRun = { id, controller, owner, slot: -1 };
    this.running.add(run);
    return run;
  }

  /**
   * Called once for each tracked run a `terminate` revocation aborts (the worker stores REVOKED
   * at once, as Celery does, whether or not the handler honours its signal).
   */
  onTerminate(listener: (run: TrackedRun) => void): void {
    this.terminated = listener;
  }

  /** That run finished (another run of the same id stays tracked). */
  untrack(run: TrackedRun): void {
    this.running.remove(run);
  }

  private apply(list: Revocation[]): void {
    for (const revocation of list) {
      this.revoked.set(revocation.id, revocation);
      if (!revocation.terminate) continue;
      for (const run of this.running.values()) {
        if (run.id !== revocation.id || run.controller.signal.aborted) continue;
        const fields = runLogFields(run);
        this.logger.warn(
          `Terminating running task ${revocation.id}: ${revocation.reason}.`,
          fields,
        );
        run.controller.abort(
          new TaskRevokedError(revocation.id, 'terminated', revocation.signal ?? 'SIGTERM'),
        );
        try {
          this.terminated?.(run);
        } catch (error) {
          this.logger.error(
            `Recording the termination of ${revocation.id} failed: ${String(error)}`,
            fields,
          );
        }
      }
    }
  }
}

/** Log fields of a tracked run: its request's, when the tracker attached one (the worker does). */
function runLogFields(run: TrackedRun): TaskLogFields {
  const request = (run.owner as { request?: TaskRequest } | undefined)?.request;
  return request ? taskLogFields(request) : { taskId: run.id, taskName: '', queue: null };
}
