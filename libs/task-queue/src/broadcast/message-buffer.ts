/**
 * Replies received but not read yet, and one reader waiting for the next one. Shared by the
 * reply queues of every transport.
 */
export class MessageBuffer<T> {
  private readonly items: T[] = [];
  private waiter?: () => void;
  private closed = false;

  push(item: T): void {
    this.items.push(item);
    this.waiter?.();
  }

  /** The next item; waits up to `timeoutMs` for one, then resolves null. */
  async next(timeoutMs: number): Promise<T | null> {
    if (!this.items.length && !this.closed && timeoutMs > 0) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.waiter = undefined;
          resolve();
        };
        const timer = setTimeout(done, timeoutMs);
        this.waiter = done;
      });
    }
    return this.items.shift() ?? null;
  }

  /** Wake the waiting reader; later reads return what is left, then null at once. */
  close(): void {
    this.closed = true;
    this.waiter?.();
  }
}
