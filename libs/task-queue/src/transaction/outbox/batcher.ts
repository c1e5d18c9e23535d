/**
 * Collects items for up to `maxDelayMs` (or `maxItems`) and hands them to `flush` together;
 * each `add()` resolves (or rejects) with its batch.
 */
export class Batcher<T> {
  private items: T[] = [];
  private batch?: { done: Promise<void>; flushNow: () => void };

  constructor(
    private readonly flush: (items: T[]) => Promise<void>,
    private readonly maxDelayMs: number,
    private readonly maxItems: number,
  ) {}

  add(item: T): Promise<void> {
    this.items.push(item);
    const batch = (this.batch ??= this.open());
    if (this.items.length >= this.maxItems) batch.flushNow();
    return batch.done;
  }

  private open(): { done: Promise<void>; flushNow: () => void } {
    let flushNow!: () => void;
    const due = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.maxDelayMs);
      flushNow = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    const done = due.then(() => {
      const items = this.items;
      this.items = [];
      this.batch = undefined;
      return this.flush(items);
    });
    return { done, flushNow };
  }
}
