/** How often a failure that goes on is logged again, with how long it has lasted (ms). */
const REMIND_MS = 60_000;

/**
 * The log of an operation retried every round while something it needs is down (a store that
 * does not answer): the first failure is logged in full, then a reminder once a minute with how
 * long and how often it has failed, and the recovery once. Every round at a second apart would
 * otherwise write one line a second for the length of the outage.
 */
export class RepeatedFailureLog {
  private since?: number;
  private failures = 0;
  private lastLoggedAt = 0;

  constructor(
    private readonly onFailure: (line: string) => void,
    private readonly onRecovery: (line: string) => void,
    private readonly remindMs = REMIND_MS,
  ) {}

  /** One more failed round, described by `line`. */
  failed(line: string, now = Date.now()): void {
    this.failures++;
    if (this.since === undefined) {
      this.since = now;
      this.lastLoggedAt = now;
      this.onFailure(line);
    } else if (now - this.lastLoggedAt >= this.remindMs) {
      this.lastLoggedAt = now;
      this.onFailure(
        `${line} (still failing after ${this.lasted(now)}, ${this.failures} attempts)`,
      );
    }
  }

  /** A round succeeded: says `line` once if rounds were failing. */
  succeeded(line: string, now = Date.now()): void {
    if (this.since === undefined) return;
    this.onRecovery(`${line} after ${this.lasted(now)} (${this.failures} failed attempts).`);
    this.since = undefined;
    this.failures = 0;
  }

  private lasted(now: number): string {
    return `${((now - this.since!) / 1000).toFixed(1)} s`;
  }
}
