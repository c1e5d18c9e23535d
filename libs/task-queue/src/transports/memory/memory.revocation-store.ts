import { EventEmitter } from 'node:events';
import type { Revocation, RevocationStore } from '../../contracts/revocation-store.interface.js';
import { acquireShared, type SharedLease } from '../../utils/shared-by-name.js';

class SharedRevocations {
  readonly entries = new Map<string, Revocation>();
  readonly events = new EventEmitter().setMaxListeners(0);
}

/** Revocations in this process; `name` shares them between apps on the same `memory://name`. */
export class MemoryRevocationStore implements RevocationStore {
  private readonly lease: SharedLease<SharedRevocations>;
  private readonly state: SharedRevocations;
  private readonly listeners = new Set<() => void>();

  /** Unnamed: this process's alone (a named store is shared by the apps of `memory://name`). */
  readonly local: boolean;

  constructor(name?: string) {
    this.local = name === undefined;
    this.lease = acquireShared('memory-revocations', name, () => new SharedRevocations());
    this.state = this.lease.value;
  }

  async connect(): Promise<void> {}

  async add(revocations: Revocation[]): Promise<void> {
    for (const r of revocations) this.state.entries.set(r.id, r);
    this.state.events.emit('revoked', revocations);
  }

  async load(): Promise<Revocation[]> {
    const now = Date.now();
    for (const [id, r] of this.state.entries) if (r.expiresAt <= now) this.state.entries.delete(id);
    return [...this.state.entries.values()];
  }

  async subscribe(listener: (revocations: Revocation[]) => void): Promise<() => void> {
    this.state.events.on('revoked', listener);
    const off = (): void => {
      this.state.events.off('revoked', listener);
      this.listeners.delete(off);
    };
    this.listeners.add(off);
    return off;
  }

  async close(): Promise<void> {
    for (const off of [...this.listeners]) off();
    this.lease.release();
  }
}
