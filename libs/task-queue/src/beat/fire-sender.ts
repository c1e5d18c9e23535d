import { Logger } from '@nestjs/common';
import type {
  PendingFire,
  ScheduleStore,
  StoredSchedule,
} from '../contracts/schedule-store.interface.js';
import { describeThrownLine } from '../protocol/thrown-value.js';
import type { BeatEvents } from './beat-events.js';
import type { BeatLeaseLoop } from './beat-lease.js';
import type { BeatPublisher } from './beat-publisher.js';
import { fireJitter } from './task-id.js';

/** Pause before publishing failed fires again. */
const RETRY_MS = 1_000;

/**
 * The leader's last step for claimed fires: waits for each one's instant, publishes it as a
 * task, confirms the published ones in the store, and publishes the failed ones again a
 * second later while the same lease holds (same task ids, so no duplicates run).
 */
export class FireSender {
  private readonly logger = new Logger('Beat');

  constructor(
    private readonly store: ScheduleStore,
    private readonly lease: BeatLeaseLoop,
    private readonly publisher: BeatPublisher,
    private readonly events: BeatEvents,
    /** The schedule as tracked now (it may change while a fire waits). */
    private readonly scheduleOf: (name: string) => StoredSchedule | undefined,
  ) {}

  /** Publish fires claimed but not confirmed by an earlier leader. */
  async sendPending(pending: PendingFire[]): Promise<void> {
    if (!pending.length) return;
    this.logger.log(
      `Beat publishes ${pending.length} fire(s) claimed but not confirmed by an earlier leader.`,
    );
    await this.send(pending, true);
  }

  /** Publish each fire at its instant, then confirm them; `republished` marks the events. */
  async send(fires: PendingFire[], republished: boolean): Promise<void> {
    const done: PendingFire[] = [];
    const token = this.lease.lease?.token;
    await Promise.all(
      fires.map(async (fire) => {
        let stored = this.scheduleOf(fire.name);
        if (!stored) return void done.push(fire); // removed meanwhile: drop it
        if (isExpired(stored, fire)) {
          // A worker would only discard it (a new leader taking over late, say): do not send.
          done.push(fire);
          this.events.emit({ type: 'skipped', name: fire.name, count: 1, reason: 'expired' });
          return;
        }
        const due =
          fire.scheduledAt + fireJitter(fire.name, fire.scheduledAt, stored.definition.jitter);
        const wait = due - Date.now();
        if (wait > 0) {
          await new Promise((resolve) => setTimeout(resolve, wait));
          // No longer the leader: left pending, for the next leader to publish.
          if (this.lease.lease?.token !== token) return;
          const current = this.scheduleOf(fire.name);
          // Removed or paused while it waited: dropped (confirmed, so no leader sends it).
          if (!current?.definition.enabled) return void done.push(fire);
          stored = current;
        }
        try {
          await this.publisher.publish(stored.definition, fire);
          done.push(fire);
          if (this.events.listened) {
            const publishedAt = Date.now();
            this.events.emit({
              type: 'fired',
              name: fire.name,
              task: stored.definition.task,
              taskId: fire.taskId,
              scheduledAt: fire.scheduledAt,
              publishedAt,
              lateness: publishedAt - due,
              republished,
            });
          }
        } catch (error) {
          this.logger.error(
            `Beat could not publish ${fire.name}[${fire.taskId}]: ${describeThrownLine(error)}`,
          );
          this.events.emit({
            type: 'publish-failed',
            name: fire.name,
            taskId: fire.taskId,
            error: describeThrownLine(error),
          });
        }
      }),
    );
    if (done.length) await this.store.confirm(done).catch(() => undefined);
    const failed = fires.filter((fire) => !done.includes(fire));
    if (failed.length) this.retryLater(failed);
  }

  /** Publish failed fires again in a second, while still the leader (same task ids). */
  private retryLater(fires: PendingFire[]): void {
    const token = this.lease.lease?.token;
    setTimeout(() => {
      if (token !== undefined && this.lease.lease?.token === token) {
        void this.send(fires, true);
      }
    }, RETRY_MS).unref();
  }
}

/** Whether the fire's `expires` (seconds after its scheduled instant) has passed. */
function isExpired({ definition }: StoredSchedule, fire: PendingFire): boolean {
  const { expires } = definition;
  return expires !== undefined && fire.scheduledAt + expires * 1000 <= Date.now();
}
