import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { DataSource } from '../../contracts/typeorm-peer.types.js';
import { PgNotificationListener } from '../../transports/typeorm/pg-notification.listener.js';
import { sqlDialect } from '../../transports/typeorm/sql-dialect.js';
import type { Broker } from '../../contracts/broker.interface.js';
import { OUTBOX_DEFAULTS, type OutboxRelayOptions } from './outbox.options.js';
export type { OutboxRelayOptions } from './outbox.options.js';
import { BrokerOutage, brokerAnswers } from './broker-outage.js';
import { OutboxStore } from './outbox.store.js';
import { outboxSchemaError } from './outbox-schema.js';
import { readNextDue } from './outbox-backlog.js';
import { InterruptedRound } from './outbox-interrupted-round.js';
import { OutboxRounds } from './outbox-round.js';

/**
 * Publishes `task_outbox` rows the fast path did not finish (crash, broker down). Run it in
 * worker processes; any number of instances may run: rows are claimed with leases (and
 * `FOR UPDATE SKIP LOCKED` on PostgreSQL and MySQL 8 / MariaDB 10.6+), published outside any
 * transaction, then deleted. Delivery is at-least-once: a crash after publish and before delete
 * publishes again once the lease expires, so workers must dedupe by task id.
 * Internal: the module runs it (see the `typeorm` options).
 */
export class OutboxRelay {
  private readonly logger = new Logger('OutboxRelay');
  private readonly owner: string;
  private readonly pollIntervalMs: number;
  private readonly batchSize: number;
  private readonly rounds: OutboxRounds;
  /** A round the database cut short, finished before the next round. */
  private readonly interrupted: InterruptedRound;
  private listener?: PgNotificationListener;
  private running = false;
  private loop?: Promise<void>;
  /** Ends the current sleep early; undefined while a round runs. */
  private wake?: () => void;
  /** A wake-up came while a round ran: the next sleep is skipped (a NOTIFY is never lost). */
  private woken = false;
  /** The cause of the failing rounds since the last success (logged once). */
  private failing?: string;
  private readonly outage = new BrokerOutage();

  constructor(
    private readonly dataSource: DataSource,
    private readonly broker: Broker,
    private readonly options: OutboxRelayOptions = {},
  ) {
    const store = new OutboxStore(dataSource);
    this.pollIntervalMs = options.pollIntervalMs ?? OUTBOX_DEFAULTS.pollIntervalMs;
    this.batchSize = options.batchSize ?? OUTBOX_DEFAULTS.batchSize;
    // Unique even when configured: after a failed round, this relay releases every row it holds.
    const name = options.owner ?? `relay:${hostname()}:${process.pid}`;
    this.owner = `${name}:${randomUUID().slice(0, 8)}`;
    this.rounds = new OutboxRounds(dataSource, broker, store, this.outage, this.logger, {
      owner: this.owner,
      leaseMs: options.leaseMs ?? OUTBOX_DEFAULTS.leaseMs,
      pollIntervalMs: this.pollIntervalMs,
      maxAttempts: options.maxAttempts ?? OUTBOX_DEFAULTS.maxAttempts,
      batchSize: this.batchSize,
      instrumentation: options.instrumentation,
    });
    this.interrupted = new InterruptedRound(store, this.owner, this.logger);
  }

  /** Start relaying in the background (idempotent). */
  start(): void {
    if (this.running) return;
    this.running = true;
    if (this.options.listen !== false && sqlDialect(this.dataSource) === 'postgres') {
      this.listener = new PgNotificationListener(
        this.dataSource,
        this.options.channel ?? OUTBOX_DEFAULTS.channel,
        this.wakeUp,
        // Rows committed while deaf (or before the first LISTEN): relay them now, not after
        // the poll interval.
        this.wakeUp,
        `the outbox relay polls every ${this.options.pollIntervalMs ?? OUTBOX_DEFAULTS.pollIntervalMs} ms`,
      );
      this.listener.keepListening();
    }
    this.loop = this.run();
    this.logger.log(`Outbox relay ${this.owner} started.`);
  }

  /** Stop after the current round; resolves when it has finished. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wakeUp();
    await this.loop;
    await this.listener?.stop();
    this.listener = undefined;
    this.logger.log(`Outbox relay ${this.owner} stopped.`);
  }

  /**
   * One round: claim a batch, publish each row in order, delete the published ones (one
   * statement per round, or sooner when half the lease is gone: a DELETE per row would cost a
   * commit per row). Stops at the first row whose publish finds the broker unreachable: that
   * row and the rest are released in place, and the next rounds check the broker first (see
   * `BrokerOutage`). Returns the number claimed.
   */
  async relayOnce(): Promise<number> {
    await this.interrupted.finish();
    const published: string[] = [];
    try {
      return await this.rounds.run(published);
    } catch (error) {
      // The database failed mid-round (even in the claim, whose answer may be lost): the rows
      // stay leased to this relay. Finish them as soon as it answers again (delete the
      // published, release the rest), not after the lease.
      this.interrupted.mark(published);
      throw error;
    }
  }

  private async run(): Promise<void> {
    while (this.running) {
      let delay = this.pollIntervalMs;
      try {
        if (this.outage.active) {
          if (!(await brokerAnswers(this.broker))) {
            await this.sleep(this.outage.nextDelayMs());
            continue;
          }
          this.outage.end();
          this.logger.log('Outbox relay: the broker answers again; relaying the pending rows.');
        }
        const roundStarted = Date.now();
        const claimed = await this.relayOnce();
        this.recovered();
        if (this.outage.active) {
          await this.sleep(this.outage.nextDelayMs());
          continue;
        }
        if (claimed >= this.batchSize && !this.rounds.stalled) continue;
        // Stopped on rows failing one after another: the rest wait in place, due at once; the
        // next round comes after the poll interval (see OutboxRounds).
        const due = this.rounds.stalled ? null : await readNextDue(this.dataSource);
        // A row already due when this round claimed nothing is locked by another session (SKIP
        // LOCKED passed it): wait the poll interval, not a 10 ms loop while the lock lasts.
        const lockedElsewhere = claimed === 0 && due !== null && due.getTime() <= roundStarted;
        if (due && !lockedElsewhere)
          delay = Math.max(10, Math.min(delay, due.getTime() - Date.now() + 10));
      } catch (error) {
        this.roundFailed(error, delay);
      }
      await this.sleep(delay);
    }
  }

  /**
   * A round failed (database down or restarting, table missing): logged once per cause, not
   * once per round, until a round succeeds again.
   */
  private roundFailed(error: unknown, delay: number): void {
    const cause = outboxSchemaError(error)?.message ?? `${String(error)}.`;
    if (cause === this.failing) return;
    this.failing = cause;
    this.logger.error(
      `Outbox relay round failed: ${cause} Retrying every ${delay} ms; the rows wait in the ` +
        `outbox (the same failure is not logged again).`,
    );
  }

  private recovered(): void {
    if (this.failing === undefined) return;
    this.failing = undefined;
    this.logger.log('Outbox relay recovered: relaying again.');
  }

  /** A NOTIFY, a LISTEN (re)established, or stop: go round now, or right after this round. */
  private readonly wakeUp = (): void => {
    this.woken = true;
    this.wake?.();
  };

  private sleep(ms: number): Promise<void> {
    if (!this.running || this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = undefined;
        this.woken = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}
