/**
 * The beat's wake-up: runs `run` at an instant, keeping the earliest one asked for, and never
 * two runs at once (a wake-up during a run runs again right after it). `settled` is called
 * after a run that was not followed by another, to set the next wake-up.
 */
export class TickTimer {
  private timer?: NodeJS.Timeout;
  private due = Infinity;
  private running = false;
  private again = false;

  constructor(
    private readonly run: () => Promise<void>,
    private readonly settled: () => void,
  ) {}

  /** Wake up at `at` (epoch ms), unless a wake-up no later than that is already set. */
  schedule(at: number): void {
    if (this.timer && at >= this.due) return;
    this.clear();
    this.due = at;
    this.timer = setTimeout(() => void this.fire(), Math.max(0, at - Date.now()));
  }

  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.due = Infinity;
  }

  private async fire(): Promise<void> {
    this.timer = undefined;
    this.due = Infinity;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    try {
      await this.run();
    } finally {
      this.running = false;
      if (this.again) {
        this.again = false;
        setImmediate(() => void this.fire());
      } else this.settled();
    }
  }
}
