import type { Logger } from '@nestjs/common';
import type { ScheduleStore, StoredSchedule } from '../contracts/schedule-store.interface.js';
import { describeThrownLine } from '../protocol/thrown-value.js';
import { FireHeap } from './fire-heap.js';
import { fireJitter } from './task-id.js';

/**
 * The leader's copy of the store's schedules: each schedule by name and the min-heap of their
 * next fires. Kept current from the store's change feed: an edit re-reads only the schedule it
 * names; an empty name (changes may have been missed, as after a reconnect) re-reads them all.
 * A failed read is tried again after `retryMs`, while still the leader.
 */
export class LeaderSchedules {
  readonly heap = new FireHeap();
  private readonly schedules = new Map<string, StoredSchedule>();
  /** Per schedule name, the number of the latest read started (see `reload`). */
  private readonly reads = new Map<string, number>();

  /**
   * @param leading whether this beat still holds the lease (reads are dropped once it does not)
   * @param changed called after the heap changed, to re-arm the beat's timer
   */
  constructor(
    private readonly store: ScheduleStore,
    private readonly logger: Logger,
    private readonly retryMs: number,
    private readonly leading: () => boolean,
    private readonly changed: () => void,
  ) {}

  get(name: string): StoredSchedule | undefined {
    return this.schedules.get(name);
  }

  /** Track exactly `all` (a new leader's first read). */
  replace(all: StoredSchedule[]): void {
    this.heap.clear();
    this.schedules.clear();
    for (const stored of all) this.track(stored);
  }

  /** Forget everything (no longer the leader). */
  clear(): void {
    this.heap.clear();
    this.schedules.clear();
    this.reads.clear();
  }

  track(stored: StoredSchedule): void {
    const { definition, state } = stored;
    this.schedules.set(definition.name, stored);
    const next = definition.enabled ? state.nextFireAt : null;
    this.heap.set(
      definition.name,
      next === null ? null : next + fireJitter(definition.name, next, definition.jitter),
    );
  }

  /** A schedule changed in the store: track its new version (leader only). */
  async reload(name: string): Promise<void> {
    if (!this.leading()) return;
    if (name === '') return this.reloadAll();
    // Only the latest read of a name counts (reads may answer out of order). Revisions cannot
    // order them: a schedule removed and added again starts again at revision 1.
    const read = (this.reads.get(name) ?? 0) + 1;
    this.reads.set(name, read);
    try {
      const stored = await this.store.get(name);
      if (!this.leading() || this.reads.get(name) !== read) return;
      if (stored) this.track(stored);
      else {
        this.schedules.delete(name);
        this.heap.set(name, null);
      }
      this.changed();
    } catch (error) {
      this.logger.warn(
        `Beat could not reload schedule ${name}: ${describeThrownLine(error)}. ` +
          `Retrying in ${this.retryMs} ms.`,
      );
      this.reloadLater(name);
    }
  }

  /**
   * A failed read leaves the change unseen (and a schedule whose claim was refused off the
   * heap): read it again after a pause, while still the leader.
   */
  private reloadLater(name: string): void {
    setTimeout(() => void this.reload(name), this.retryMs).unref();
  }

  /** Changes may have been missed: read every schedule again. */
  private async reloadAll(): Promise<void> {
    try {
      const all = await this.store.list();
      if (!this.leading()) return;
      const names = new Set(all.map((stored) => stored.definition.name));
      for (const name of this.schedules.keys()) {
        if (!names.has(name)) {
          this.schedules.delete(name);
          this.heap.set(name, null);
        }
      }
      for (const stored of all) this.track(stored);
      this.changed();
    } catch (error) {
      this.logger.warn(
        `Beat could not reload the schedules: ${describeThrownLine(error)}. ` +
          `Retrying in ${this.retryMs} ms.`,
      );
      this.reloadLater('');
    }
  }
}
