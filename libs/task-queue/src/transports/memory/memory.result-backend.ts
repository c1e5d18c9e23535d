import { EventEmitter } from 'node:events';
import type {
  ResultBackend,
  TaskMeta,
  WaitOptions,
} from '../../contracts/result-backend.interface.js';
import { isReadyState } from '../../results/task-states.js';
import { waitForEvent } from '../../results/wait-for-event.js';
import { acquireShared, type SharedLease } from '../../utils/shared-by-name.js';
import type { ChordJoinCapable, ChordJoinSource } from '../../contracts/chord-join.interface.js';
import { MemoryChordJoin } from './memory-chord.join.js';
import type { GroupStore } from '../../contracts/group-store.interface.js';
import type { ResultTuple, SavedGroup } from '../../results/chord-parts.js';

/** Results and their waiters; one per `memory://<name>` in the process, or private. */
class MemoryResultStore {
  readonly entries = new Map<string, { meta: TaskMeta; expiresAt: number }>();
  readonly groups = new Map<string, { children: ResultTuple[]; expiresAt: number }>();
  readonly events = new EventEmitter().setMaxListeners(0);
}

/**
 * The embedded result backend (`memory://`): results live in this process, expire after
 * `expiresSeconds`, and waiters are woken by an event, not by polling. `memory://<name>`
 * shares one store per process between applications (tests).
 */
export class MemoryResultBackend implements ResultBackend, ChordJoinSource, GroupStore {
  readonly kind = 'memory';
  private readonly lease: SharedLease<MemoryResultStore>;
  private readonly store_: MemoryResultStore;
  private readonly listeners = new Set<() => void>();
  private chordJoin?: ChordJoinCapable;

  constructor(
    name?: string,
    private readonly expiresSeconds = 86_400,
  ) {
    this.lease = acquireShared('memory-results', name, () => new MemoryResultStore());
    this.store_ = this.lease.value;
  }
  /**
   * The in-process chord join (the memory backend keeps no chord counters of its own), one per
   * backend: the producer sets the size in the same join the worker counts parts in.
   */
  createChordJoin(expiresSeconds?: number): ChordJoinCapable {
    return (this.chordJoin ??= new MemoryChordJoin(expiresSeconds));
  }

  async connect(): Promise<void> {}

  async store(meta: TaskMeta): Promise<void> {
    const current = this.read(meta.task_id);
    if (current && isReadyState(current.status) && !isReadyState(meta.status)) return;
    const expiresAt = Date.now() + this.expiresSeconds * 1000;
    this.store_.entries.set(meta.task_id, { meta: structuredClone(meta), expiresAt });
    this.store_.events.emit(meta.task_id, meta);
  }

  async get(taskId: string): Promise<TaskMeta | null> {
    const meta = this.read(taskId);
    return meta ? structuredClone(meta) : null;
  }

  async waitForReady(taskId: string, options: WaitOptions = {}): Promise<TaskMeta> {
    return waitForEvent(taskId, options, {
      current: () => this.get(taskId),
      subscribe: (onMeta) => {
        const events = this.store_.events;
        const off = (): void => {
          events.off(taskId, onMeta);
          this.listeners.delete(off);
        };
        events.on(taskId, onMeta);
        this.listeners.add(off);
        return off;
      },
    });
  }

  async forget(taskId: string): Promise<void> {
    this.store_.entries.delete(taskId);
  }

  /** `GroupResult.save()`: kept in the store, with the results' expiry. */
  async saveGroup(groupId: string, children: ResultTuple[]): Promise<void> {
    const expiresAt = Date.now() + this.expiresSeconds * 1000;
    this.store_.groups.set(groupId, { children: structuredClone(children), expiresAt });
  }

  async restoreGroup(groupId: string): Promise<SavedGroup | null> {
    const entry = this.store_.groups.get(groupId);
    if (!entry || entry.expiresAt <= Date.now()) {
      this.store_.groups.delete(groupId);
      return null;
    }
    const children = structuredClone(entry.children);
    return { groupId, children, taskIds: children.map((c) => c[0][0]) };
  }

  async forgetGroup(groupId: string): Promise<void> {
    this.store_.groups.delete(groupId);
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    for (const off of [...this.listeners]) off();
    this.lease.release();
  }

  private read(taskId: string): TaskMeta | null {
    const entry = this.store_.entries.get(taskId);
    if (!entry) return null;
    if (entry.expiresAt <= Date.now()) {
      this.store_.entries.delete(taskId);
      return null;
    }
    return entry.meta;
  }
}
