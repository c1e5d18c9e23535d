import { type Observable, Subject } from 'rxjs';
import type {
  BeatLease,
  PendingFire,
  ScheduleClaim,
  ScheduleDefinition,
  ScheduleSaveOptions,
  ScheduleState,
  ScheduleStore,
  StoredSchedule,
} from '../../contracts/schedule-store.interface.js';
import { acquireShared, type SharedLease } from '../../utils/shared-by-name.js';
import { parseScheduleDefinition, scheduleDefinitionJson } from '../../protocol/schedule-json.js';

/** The shared data of one memory store (one per `memory://<name>`). */
class MemoryScheduleData {
  readonly schedules = new Map<string, { definition: string; state: ScheduleState }>();
  readonly pending = new Map<string, PendingFire>();
  lease: { owner: string; token: number; expiresAt: number } | null = null;
  fence = 0;
  readonly changes = new Subject<string>();
}

/**
 * Schedules in process memory: for tests and single-process apps. Instances made with the same
 * name share their data (several beats in one process compete for one lease).
 * @publicApi
 */
export class MemoryScheduleStore implements ScheduleStore {
  private readonly lease: SharedLease<MemoryScheduleData>;
  private readonly data: MemoryScheduleData;
  readonly changes: Observable<string>;

  constructor(name?: string) {
    this.lease = acquireShared('beat-schedules', name, () => new MemoryScheduleData());
    this.data = this.lease.value;
    this.changes = this.data.changes.asObservable();
  }

  async connect(): Promise<void> {}

  async close(): Promise<void> {
    this.lease.release();
  }

  async list(): Promise<StoredSchedule[]> {
    return [...this.data.schedules.values()].map(copy);
  }

  async get(name: string): Promise<StoredSchedule | null> {
    const entry = this.data.schedules.get(name);
    return entry ? copy(entry) : null;
  }

  async save(
    definition: ScheduleDefinition,
    state: ScheduleState,
    { ifRev, keepIfSame = false }: ScheduleSaveOptions = {},
  ): Promise<boolean> {
    const json = scheduleDefinitionJson(definition);
    const current = this.data.schedules.get(definition.name);
    if (ifRev !== undefined && (current?.state.rev ?? 0) !== ifRev) return false;
    if (keepIfSame && current?.definition === json) return false;
    const rev = (current?.state.rev ?? 0) + 1;
    this.data.schedules.set(definition.name, { definition: json, state: { ...state, rev } });
    this.announce(definition.name);
    return true;
  }

  async remove(name: string): Promise<boolean> {
    const existed = this.data.schedules.delete(name);
    this.announce(name);
    return existed;
  }

  async acquireLease(owner: string, ttlMs: number): Promise<number | null> {
    const now = Date.now();
    const lease = this.data.lease;
    if (lease && lease.expiresAt > now && lease.owner !== owner) return null;
    if (lease && lease.expiresAt > now) {
      lease.expiresAt = now + ttlMs;
      return lease.token;
    }
    this.data.lease = { owner, token: ++this.data.fence, expiresAt: now + ttlMs };
    return this.data.fence;
  }

  async releaseLease(lease: BeatLease): Promise<void> {
    if (this.holds(lease)) this.data.lease = null;
  }

  async claim(lease: BeatLease, claims: ScheduleClaim[]): Promise<boolean[] | null> {
    if (!this.holds(lease)) return null;
    return claims.map((claim) => {
      const current = this.data.schedules.get(claim.name);
      if (!current || current.state.rev !== claim.rev) return false;
      current.state = { ...claim.state, rev: claim.rev + 1 };
      for (const fire of claim.fires) this.data.pending.set(fire.taskId, { ...fire });
      return true;
    });
  }

  async confirm(fires: PendingFire[]): Promise<void> {
    for (const fire of fires) this.data.pending.delete(fire.taskId);
  }

  async pending(): Promise<PendingFire[]> {
    return [...this.data.pending.values()].map((fire) => ({ ...fire }));
  }

  private holds(lease: BeatLease): boolean {
    const current = this.data.lease;
    return (
      current !== null &&
      current.expiresAt > Date.now() &&
      current.owner === lease.owner &&
      current.token === lease.token
    );
  }

  private announce(name: string): void {
    // Asynchronously, as a real store's notification arrives.
    queueMicrotask(() => this.data.changes.next(name));
  }
}

function copy(entry: { definition: string; state: ScheduleState }): StoredSchedule {
  return {
    definition: parseScheduleDefinition(entry.definition) as ScheduleDefinition,
    state: { ...entry.state },
  };
}
