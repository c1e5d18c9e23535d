/** An entry a {@link SlotList} can hold: the list records the entry's position on it. */
export interface Slotted {
  /** Index in the list holding it; -1 when on none. Maintained by the list only. */
  slot: number;
}

/**
 * An unordered set of entries for the per-message churn of a worker (running tasks, unsettled
 * deliveries): O(1) add and remove without lookups, iteration, no allocation per operation.
 *
 * Why not a Map or Set keyed by tag: a long-lived Map's hash table lives in the old
 * generation, and V8 allocates each rehashed table there too. With one add and one delete per
 * message, the table is rebuilt every few hundred messages, and every dead table still points
 * at the values it held; the young-generation collector must treat those as live until the
 * next full collection. Measured on a Redis drain, that kept about a sixth of everything a
 * task allocated alive past its task, multiplying GC work and peak RSS. Here, removing an
 * entry clears its array cell (the last entry moves into it), so nothing stays referenced.
 */
export class SlotList<T extends Slotted> {
  private readonly entries: T[] = [];

  get size(): number {
    return this.entries.length;
  }

  add(entry: T): void {
    if (entry.slot >= 0) throw new Error('SlotList: the entry is already on a list');
    entry.slot = this.entries.length;
    this.entries.push(entry);
  }

  /** Take `entry` off the list; false when it was not on it. */
  remove(entry: T): boolean {
    const at = entry.slot;
    if (at < 0 || this.entries[at] !== entry) return false;
    const last = this.entries.pop()!;
    if (last !== entry) {
      this.entries[at] = last;
      last.slot = at;
    }
    entry.slot = -1;
    return true;
  }

  has(entry: T): boolean {
    return entry.slot >= 0 && this.entries[entry.slot] === entry;
  }

  /** A copy of the entries, safe to keep while the list changes. */
  values(): T[] {
    return [...this.entries];
  }

  /** Remove every entry and return them. */
  clear(): T[] {
    const all = this.entries.splice(0);
    for (const entry of all) entry.slot = -1;
    return all;
  }
}
