import { Logger } from '@nestjs/common';
import type { BeatLease, ScheduleStore } from '../contracts/schedule-store.interface.js';
import { describeThrownLine } from '../protocol/thrown-value.js';

/** What the lease loop tells the beat. */
export interface LeaseListener {
  acquired(lease: BeatLease): void;
  lost(lease: BeatLease): void;
}

/**
 * The leader election loop of one beat instance: every `renewMs` it takes or extends the lease.
 * The leader steps down (before the lease can expire elsewhere) when a renewal fails or has not
 * succeeded for `leaseMs - renewMs`; a standby takes over at most `leaseMs + renewMs` after the
 * leader's last renewal.
 */
export class BeatLeaseLoop {
  private readonly logger = new Logger('Beat');
  private timer?: NodeJS.Timeout;
  private current: BeatLease | null = null;
  private lastRenewed = 0;
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
    try {
      const token = await this.store.acquireLease(this.owner, this.leaseMs);
      if (this.stopped) return;
      if (token === null) {
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
      this.logger.warn(`Beat lease round failed: ${describeThrownLine(error)}`);
      // Without a renewal the lease runs out elsewhere: step down before it can.
      if (this.current && Date.now() - this.lastRenewed > this.leaseMs - this.renewMs) {
        this.step(this.current);
      }
    } finally {
      this.running = false;
      if (!this.stopped) this.timer = setTimeout(() => void this.round(), this.renewMs);
    }
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
