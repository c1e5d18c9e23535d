interface Waiter<R> {
  resolve: (reply: R) => void;
  reject: (error: unknown) => void;
}

/** Most items handed to one `send`; a full batch is sent at once. */
const DEFAULT_MAX_BATCH = 512;

/**
 * Collects the items added during one event-loop turn and hands them to `send` together, so a
 * burst (the results of every task a worker finished in that turn, a producer's publishes, a
 * batch of acks) costs one command and one round trip instead of one each. Every `add()` is
 * settled with its own reply, or with the batch's error. A lone item is sent at the end of the
 * current turn, so an idle system pays no batching latency.
 */
export class TickBatcher<T, R> {
  private items: T[] = [];
  private waiters: Waiter<R>[] = [];
  private scheduled = false;

  /**
   * @param send sends one batch; resolves with one reply per item, in order (or with nothing
   *   when the items have no replies of their own)
   * @param maxBatch most items per `send`
   */
  constructor(
    private readonly send: (items: T[]) => Promise<readonly R[] | void>,
    private readonly maxBatch = DEFAULT_MAX_BATCH,
  ) {}

  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.items.push(item);
      this.waiters.push({ resolve, reject });
      if (this.items.length >= this.maxBatch) void this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  /** Send everything pending now; resolves once that batch is settled (never rejects). */
  async flush(): Promise<void> {
    this.scheduled = false;
    const items = this.items;
    const waiters = this.waiters;
    if (items.length === 0) return;
    this.items = [];
    this.waiters = [];
    try {
      const replies = await this.send(items);
      for (let i = 0; i < waiters.length; i++) waiters[i]!.resolve(replies?.[i] as R);
    } catch (error) {
      for (const waiter of waiters) waiter.reject(error);
    }
  }
}
