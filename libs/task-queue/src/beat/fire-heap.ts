/** One entry of the heap: due instant and the schedule it belongs to. */
interface HeapItem {
  due: number;
  name: string;
  /** The version of the schedule when pushed; stale items are dropped when popped. */
  version: number;
}

/**
 * Min-heap of next fires, by due instant. The beat sleeps until the top is due, so idle
 * schedules cost nothing between their fires; an edit pushes a new item and bumps the
 * schedule's version, which makes the old one stale (dropped lazily).
 */
export class FireHeap {
  private readonly items: HeapItem[] = [];
  private readonly versions = new Map<string, number>();
  private lastVersion = 0;

  get size(): number {
    return this.versions.size;
  }

  /** Schedule `name` for `due` (replacing its previous due), or unschedule it with null. */
  set(name: string, due: number | null): void {
    const version = ++this.lastVersion;
    if (due === null) {
      this.versions.delete(name);
      this.compactIfSparse();
      return;
    }
    this.versions.set(name, version);
    this.push({ due, name, version });
  }

  clear(): void {
    this.items.length = 0;
    this.versions.clear();
  }

  /** The earliest due instant, or null when empty. */
  peek(): number | null {
    this.dropStale();
    return this.items[0]?.due ?? null;
  }

  /** Remove and return the names due at or before `now`. */
  popDue(now: number, limit = Infinity): string[] {
    const due: string[] = [];
    while (due.length < limit) {
      this.dropStale();
      const top = this.items[0];
      if (!top || top.due > now) break;
      this.pop();
      this.versions.delete(top.name);
      due.push(top.name);
    }
    return due;
  }

  private dropStale(): void {
    while (this.items.length > 0 && !this.isCurrent(this.items[0]!)) this.pop();
  }

  private isCurrent(item: HeapItem): boolean {
    return this.versions.get(item.name) === item.version;
  }

  /** Many edits leave stale items behind: rebuild when they outnumber live ones 4 to 1. */
  private compactIfSparse(): void {
    if (this.items.length < 1024 || this.items.length < 4 * this.versions.size) return;
    const live = this.items.filter((item) => this.isCurrent(item));
    this.items.length = 0;
    for (const item of live) this.push(item);
  }

  private push(item: HeapItem): void {
    const items = this.items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent]!.due <= item.due) break;
      items[i] = items[parent]!;
      i = parent;
    }
    items[i] = item;
  }

  private pop(): void {
    const items = this.items;
    const last = items.pop()!;
    if (items.length === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= items.length) break;
      const right = left + 1;
      const child = right < items.length && items[right]!.due < items[left]!.due ? right : left;
      if (items[child]!.due >= last.due) break;
      items[i] = items[child]!;
      i = child;
    }
    items[i] = last;
  }
}
