import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  Optional,
} from '@nestjs/common';
import type { Subscription } from 'rxjs';
import type { BeatLease, ScheduleStore } from '../contracts/schedule-store.interface.js';
import type { CheckOutcome } from '../observability/health/health-check.types.js';
import { TaskQueueHealth } from '../observability/health/task-queue-health.service.js';
import { describeThrownLine } from '../protocol/thrown-value.js';
import { RepeatedFailureLog } from '../utils/repeated-failure-log.js';
import { BEAT_CONFIG, SCHEDULE_STORE } from './beat.constants.js';
import { BeatEvents } from './beat-events.js';
import { BeatLeaseLoop } from './beat-lease.js';
import type { ResolvedBeatOptions } from './beat-options.js';
import { BeatPublisher } from './beat-publisher.js';
import { FireSender } from './fire-sender.js';
import { buildClaims } from './claim-builder.js';
import { LeaderSchedules } from './leader-schedules.js';
import { OverlapGuard } from './overlap-guard.js';
import { TickTimer } from './tick-timer.js';

/** Claims sent to the store in one script call at most. */
const CLAIM_BATCH = 500;

/**
 * Fires are claimed this many ms before they are due and published at their instant, so the
 * store round trip of the claim is not part of their lateness.
 */
const LOOKAHEAD_MS = 50;

/**
 * The beat of this process: competes for the lease; as leader, keeps every schedule's next
 * fire in a min-heap, sleeps until the earliest is due, claims the due fires in one fenced
 * store step and hands them to the {@link FireSender}, which publishes each at its instant
 * and confirms it. Edits arrive pushed by the store and touch only the schedule they name.
 * @publicApi
 */
@Injectable()
export class BeatService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Beat');
  private readonly claimFailures = new RepeatedFailureLog(
    (line) => this.logger.error(line),
    (line) => this.logger.log(line),
  );
  private readonly schedules: LeaderSchedules;
  private readonly lease: BeatLeaseLoop;
  private readonly fires: FireSender;
  private changes?: Subscription;
  /** True while `stop()` hands the lease back: stepping down is then expected. */
  private stopping = false;
  private readonly timer = new TickTimer(
    () => this.tick(),
    () => {
      if (this.lease.lease) this.arm();
    },
  );
  /** After a failed claim: no tick before this instant. */
  private retryAt = 0;

  constructor(
    @Inject(SCHEDULE_STORE) private readonly store: ScheduleStore,
    @Inject(BEAT_CONFIG) private readonly config: ResolvedBeatOptions,
    private readonly publisher: BeatPublisher,
    private readonly events: BeatEvents,
    private readonly overlap: OverlapGuard,
    @Optional() private readonly probes?: TaskQueueHealth,
  ) {
    const owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.lease = new BeatLeaseLoop(store, owner, config.leaseMs, config.renewMs, {
      acquired: (lease) => void this.becomeLeader(lease),
      lost: (lease) => this.stepDown(lease),
    });
    this.schedules = new LeaderSchedules(
      store,
      this.logger,
      config.renewMs,
      () => this.lease.lease !== null,
      () => this.arm(),
    );
    this.fires = new FireSender(store, this.lease, publisher, events, (name) =>
      this.schedules.get(name),
    );
  }

  /** Whether this instance is the leader now. */
  get isLeader(): boolean {
    return this.lease.lease !== null;
  }

  /** This instance's lease owner id. */
  get owner(): string {
    return this.lease.owner;
  }

  onApplicationBootstrap(): void {
    if (!this.config.enabled) return;
    // A beat that cannot reach its store can neither lead nor take over: not ready, so a
    // rollout keeps the old beat pod until the new one reaches the store.
    this.probes?.addReadinessCheck('beat', () => this.storeCheck());
    this.start();
  }

  /**
   * Readiness of this beat: its schedule store answered a lease round within `leaseMs`
   * (leader or standby alike).
   */
  storeCheck(): CheckOutcome {
    const silentMs = this.lease.storeSilentMs;
    const leader = this.isLeader;
    if (silentMs <= this.config.leaseMs) return { up: true, details: { leader } };
    return {
      up: false,
      details: {
        leader,
        message:
          `The schedule store has not answered this beat for ${silentMs} ms (lease ` +
          `${this.config.leaseMs} ms): it can neither lead nor take over. Check that the store ` +
          'is reachable.',
      },
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop();
    // A store the module made from a URL is the module's to close; an instance is the app's.
    if (typeof this.config.store !== 'object') await this.store.close();
  }

  /** Start competing for leadership (done at bootstrap unless `enabled: false`). */
  start(): void {
    this.changes ??= this.store.changes.subscribe((name) => void this.schedules.reload(name));
    this.lease.start();
  }

  async stop(): Promise<void> {
    this.changes?.unsubscribe();
    this.changes = undefined;
    this.stopping = true;
    try {
      await this.lease.stop();
    } finally {
      this.stopping = false;
    }
    this.timer.clear();
  }

  private async becomeLeader(lease: BeatLease): Promise<void> {
    this.logger.log(`Beat ${lease.owner} is the leader (fencing token ${lease.token}).`);
    this.emitLeader(lease, true);
    try {
      const [all, pending] = await Promise.all([this.store.list(), this.store.pending()]);
      if (this.lease.lease?.token !== lease.token) return;
      this.schedules.replace(all);
      await this.fires.sendPending(pending);
      this.arm();
    } catch (error) {
      this.logger.error(`Beat could not load the schedules: ${describeThrownLine(error)}`);
      this.lease.lostNotice(lease);
    }
  }

  private stepDown(lease: BeatLease): void {
    // Handing the lease back at shutdown is the normal end, not a lost lease.
    if (this.stopping) this.logger.log(`Beat ${lease.owner} handed the leader lease back.`);
    else this.logger.warn(`Beat ${lease.owner} is no longer the leader.`);
    this.emitLeader(lease, false);
    this.schedules.clear();
    this.timer.clear();
  }

  private emitLeader(lease: BeatLease, leader: boolean): void {
    const { owner, token } = lease;
    this.events.emit({ type: 'leader', leader, owner, token, at: Date.now() });
  }

  private arm(): void {
    const next = this.schedules.heap.peek();
    if (next === null) return this.timer.clear();
    this.timer.schedule(Math.max(next, this.retryAt) - LOOKAHEAD_MS);
  }

  /** One wake-up (never two at once: see TickTimer). */
  private async tick(): Promise<void> {
    try {
      const lease = this.lease.lease;
      if (lease) await this.fireDue(lease);
    } catch (error) {
      this.logger.error(`Beat tick failed: ${describeThrownLine(error)}`);
    }
  }

  private async fireDue(lease: BeatLease): Promise<void> {
    const now = Date.now() + LOOKAHEAD_MS;
    const names = this.schedules.heap.popDue(now);
    for (let i = 0; i < names.length; i += CLAIM_BATCH) {
      const batch = names.slice(i, i + CLAIM_BATCH).map((name) => this.schedules.get(name));
      const claims = await buildClaims(
        batch,
        now,
        this.config.catchUp,
        this.overlap,
        this.events,
        // A row no validation saw (written by hand or another tool): said once, left off
        // the heap until it is edited.
        ({ definition }, error) =>
          this.logger.error(
            `Beat cannot plan schedule ${definition.name}: ${describeThrownLine(error)}. It ` +
              'does not fire until it is edited (Schedules.update / celeriac schedule) or removed.',
          ),
      );
      if (!claims.length) continue;
      let applied: boolean[] | null;
      try {
        applied = await this.store.claim(lease, claims);
      } catch (error) {
        // Nothing was advanced: put back what this tick took off the heap, and try again after
        // a pause (not in a tight loop while the store is down).
        for (const name of names.slice(i)) {
          const stored = this.schedules.get(name);
          if (stored) this.schedules.track(stored);
        }
        this.retryAt = Date.now() + this.config.renewMs;
        this.claimFailures.failed(
          `Beat could not claim ${names.length - i} due schedule(s) in the store: ` +
            `${describeThrownLine(error)}. Retrying in ${this.config.renewMs} ms.`,
        );
        return;
      }
      this.claimFailures.succeeded('Beat claims due schedules again');
      if (applied === null) {
        this.logger.warn(`Beat ${lease.owner} lost its lease (fencing token ${lease.token}).`);
        this.lease.lostNotice(lease);
        return;
      }
      claims.forEach((claim, index) => {
        const stored = this.schedules.get(claim.name);
        if (!applied[index] || !stored) {
          void this.schedules.reload(claim.name);
          return;
        }
        this.schedules.track({
          definition: stored.definition,
          state: { ...claim.state, rev: claim.rev + 1 },
        });
        // Not awaited: each fire waits for its instant; the next claims go on meanwhile.
        if (claim.fires.length) void this.fires.send(claim.fires, false);
      });
    }
  }
}
