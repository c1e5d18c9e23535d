/** One publish waiting for its confirm: when it is due and what to do then. */
export interface ConfirmWait {
  readonly deadline: number;
  readonly expire: () => void;
}

/**
 * Deadlines of the publishes awaiting a confirm, checked by one sweeper timer instead of a
 * timer armed (and cleared) per publish. The sweeper runs only while something waits; a
 * publish expires at most `periodMs` after its deadline.
 */
export class ConfirmDeadlines {
  private readonly waiting = new Set<ConfirmWait>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly periodMs: number) {}

  /** Call `expire` once `deadline` (ms since the epoch) has passed, unless removed first. */
  add(deadline: number, expire: () => void): ConfirmWait {
    const wait = { deadline, expire };
    this.waiting.add(wait);
    this.timer ??= setInterval(() => this.sweep(), this.periodMs);
    return wait;
  }

  /** The publish was confirmed, nacked or failed. */
  remove(wait: ConfirmWait): void {
    this.waiting.delete(wait);
    if (this.waiting.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /**
   * Expire what is due, but only after a pass of the event loop's I/O: when a handler held the
   * loop (synchronous work) past a deadline, the confirm may have arrived meanwhile and be
   * waiting in the socket. Timers run before I/O is read, so expiring here would fail a
   * publish RabbitMQ stored; `setImmediate` runs once the pending I/O has been read.
   */
  private sweep(): void {
    const now = Date.now();
    const due = [...this.waiting].filter((wait) => wait.deadline <= now);
    if (due.length === 0) return;
    setImmediate(() => {
      for (const wait of due) {
        if (!this.waiting.has(wait)) continue; // confirmed (or failed) meanwhile
        this.remove(wait);
        wait.expire();
      }
    });
  }
}

/** Sweep period for a publish timeout: a tenth of it, between 10 ms and 1 s. */
export function sweepPeriod(publishTimeout: number): number {
  return Math.min(1_000, Math.max(10, Math.floor(publishTimeout / 10)));
}
