import { Logger } from '@nestjs/common';
import type { BeatLease, ScheduleStore } from '../contracts/schedule-store.interface.js';
import { describeThrownLine } from '../protocol/thrown-value.js';
import { RepeatedFailureLog } from '../utils/repeated-failure-log.js';

/** What the lease loop tells the beat. */
export interface LeaseListener {
  acquired(lease: BeatLease): void;
  lost(lease: BeatLease): void;
}

/**
 * The leader election loop of one beat instance: every `renewMs` it takes or extends the lease.
 * The leader steps down (before the lease can expire elsewhere) when a renewal fails or has not
 * succeeded for `leaseMs - renewMs`, also while the renewal is still waiting for an answer; a
 * standby takes over at most `leaseMs + renewMs` after the leader's last renewal.
 */
export class BeatLeaseLoop {
  private readonly logger = new Logger('Beat');
  private readonly failures = new RepeatedFailureLog(
    (line) => this.logger.warn(line),
    (line) => this.logger.log(line),
  );
  private timer?: NodeJS.Timeout;
  private current: BeatLease | null = null;
  private lastRenewed = 0;
  /** When the store last answered a lease round (leader or standby). */
  private lastAnswered = 0;
  private running = false;
  private stopped = true;

  constructor(
    private readonly store: ScheduleStore,
    readonly owner: string,
    private readonly leaseMs: number,
    private readonly renewMs: number,
    private readonly listener: LeaseListener,
  ) {}

  get lease(): BeatLease | null {
    return this.current;
  }

  start(): void {
    this.stopped = false;
    this.lastAnswered = Date.now();
    void this.round();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const lease = this.current;
    if (lease) {
      this.step(lease);
      await this.store.releaseLease(lease).catch(() => undefined);
    }
  }

  /** The store refused a claim with this lease: it is gone. */
  lostNotice(lease: BeatLease): void {
    if (this.current?.token === lease.token) this.step(lease);
  }

  private async round(): Promise<void> {
    if (this.stopped || this.running) return;
    this.running = true;
    const started = Date.now();
    // A store that does not answer (frozen, partitioned, reconnecting) neither renews nor fails:
    // step down when the renewal is overdue, as for a failed one.
    let overdue = false;
    const watchdog = this.current
      ? setTimeout(
          () => {
            overdue = true;
            this.renewalOverdue();
          },
          Math.max(0, this.lastRenewed + this.leaseMs - this.renewMs - started),
        )
      : undefined;
    let retryNow = false;
    try {
      const token = await this.store.acquireLease(this.owner, this.leaseMs);
      this.lastAnswered = Date.now();
      if (this.stopped) return;
      this.failures.succeeded('Beat reaches the schedule store again');
      if (overdue) {
        // Answered after the watchdog stepped down: too late to build on (a lease counted
        // from `started` is nearly out). Ask again at once, for a fresh answer.
        retryNow = true;
      } else if (token === null) {
        if (this.current) this.step(this.current);
      } else if (this.current?.token === token) {
        this.lastRenewed = started;
      } else {
        if (this.current) this.step(this.current);
        this.current = { owner: this.owner, token };
        this.lastRenewed = started;
        this.listener.acquired(this.current);
      }
    } catch (error) {
      this.failures.failed(
        `Beat lease round failed: ${describeThrownLine(error)}. Retrying every ` +
          `${this.renewMs} ms; check that the schedule store is reachable.`,
      );
      // Without a renewal the lease runs out elsewhere: step down before it can.
      if (this.current && Date.now() - this.lastRenewed > this.leaseMs - this.renewMs) {
        this.step(this.current);
      }
    } finally {
      clearTimeout(watchdog);
      this.running = false;
      if (!this.stopped) {
        this.timer = setTimeout(() => void this.round(), retryNow ? 0 : this.renewMs);
      }
    }
  }

  /** The renewal has not answered in `leaseMs - renewMs`: another beat may take the lease. */
  private renewalOverdue(): void {
    const lease = this.current;
    if (!lease || this.stopped) return;
    const silent = Date.now() - this.lastRenewed;
    this.logger.warn(
      `Beat ${lease.owner}: the schedule store has not answered the lease renewal for ` +
        `${silent} ms (lease ${this.leaseMs} ms), so another beat may take the lease: stepping ` +
        'down. This beat competes again once the store answers; check that it is reachable.',
    );
    this.step(lease);
  }

  /** Milliseconds since the store last answered a lease round (0 before the loop runs). */
  get storeSilentMs(): number {
    return this.stopped ? 0 : Date.now() - this.lastAnswered;
  }

  /** Whether the lease is surely still ours (renewed within `leaseMs - renewMs`). */
  isFresh(): boolean {
    return this.current !== null && Date.now() - this.lastRenewed < this.leaseMs - this.renewMs;
  }

  private step(lease: BeatLease): void {
    if (this.current?.token !== lease.token) return;
    this.current = null;
    this.listener.lost(lease);
  }
}
