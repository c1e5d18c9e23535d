import { randomUUID } from 'node:crypto';
import type { Logger } from '@nestjs/common';
import type { ResolvedRedisBrokerOptions } from './redis-broker.options.js';
import type { RedisBrokerScripts } from './redis-broker.scripts.js';

const PROMOTE_BATCH = 100;

/**
 * The periodic work of a consuming broker: kombu's visibility-timeout restore (at start and
 * every `restoreInterval`), promotion of due parked messages (every `delayedPollInterval`, or
 * sooner when this process parks one), and lease renewal of this process's in-flight tags.
 */
export class RedisMaintenance {
  private readonly timers = new Set<NodeJS.Timeout>();
  private promoteTimer: NodeJS.Timeout | undefined;
  private promoteAt = Infinity;
  private promoting = false;
  private started = false;
  private readonly token = randomUUID();

  constructor(
    private readonly scripts: RedisBrokerScripts,
    private readonly options: ResolvedRedisBrokerOptions,
    private readonly inflightTags: () => string[],
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (this.started) return;
    this.started = true;
    this.every(this.options.restoreInterval, () => this.restore());
    this.every(this.options.leaseRenewalInterval, () => this.renew());
    void this.restore();
    this.schedulePromotion(Date.now());
  }

  stop(): void {
    this.started = false;
    for (const timer of this.timers) clearInterval(timer);
    this.timers.clear();
    clearTimeout(this.promoteTimer);
    this.promoteAt = Infinity;
  }

  /** Make sure promotion runs no later than `dueMs`. */
  schedulePromotion(dueMs: number): void {
    if (!this.started || dueMs >= this.promoteAt) return;
    clearTimeout(this.promoteTimer);
    this.promoteAt = dueMs;
    this.promoteTimer = setTimeout(() => void this.promote(), Math.max(0, dueMs - Date.now()));
    this.promoteTimer.unref();
  }

  /** kombu restore_visible: give back entries unacked for longer than the visibility timeout. */
  async restore(): Promise<void> {
    const o = this.options;
    try {
      const ceiling = Date.now() / 1000 - o.visibilityTimeout;
      const restored = await this.scripts.restoreVisible(
        this.token,
        o.unackedMutexExpire * 1000,
        ceiling,
        o.unackedRestoreLimit,
      );
      if (restored > 0) {
        this.logger.warn(
          `Restored ${restored} message(s) left unacknowledged for more than ${o.visibilityTimeout} s ` +
            `(their consumer died or stalled); they will be delivered again.`,
        );
      }
    } catch (error) {
      if (!this.started) return; // closed under it: nothing will retry
      this.logger.error(
        `Visibility-timeout restore failed: ${(error as Error).message}. Will retry.`,
      );
    }
  }

  private async renew(): Promise<void> {
    const tags = this.inflightTags();
    if (tags.length === 0) return;
    try {
      await this.scripts.touch(tags, Date.now() / 1000);
    } catch (error) {
      if (!this.started) return;
      this.logger.error(
        `Renewing the lease of ${tags.length} in-flight message(s) failed: ${(error as Error).message}. ` +
          `If this lasts longer than the visibility timeout they may be delivered twice.`,
      );
    }
  }

  private async promote(): Promise<void> {
    this.promoteAt = Infinity;
    if (this.promoting || !this.started) return;
    this.promoting = true;
    let next = Date.now() + this.options.delayedPollInterval;
    try {
      for (;;) {
        const { moved, nextDue } = await this.scripts.promote(Date.now(), PROMOTE_BATCH);
        if (nextDue !== null) next = Math.min(next, nextDue);
        if (moved < PROMOTE_BATCH) break;
      }
    } catch (error) {
      if (!this.started) return;
      this.logger.error(
        `Promoting due delayed messages failed: ${(error as Error).message}. Will retry.`,
      );
    } finally {
      this.promoting = false;
    }
    this.schedulePromotion(next);
  }

  private every(ms: number, run: () => Promise<void>): void {
    let busy = false;
    const timer = setInterval(() => {
      if (busy) return;
      busy = true;
      void run().finally(() => (busy = false));
    }, ms);
    timer.unref();
    this.timers.add(timer);
  }
}
