import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { DataSource } from '../../contracts/typeorm-peer.types.js';
import { PgNotificationListener } from '../../transports/typeorm/pg-notification.listener.js';
import { sqlDialect } from '../../transports/typeorm/sql-dialect.js';
import type { Broker } from '../../contracts/broker.interface.js';
import { decodeOutboxRow, publishOutboxRow, type DecodedOutboxRow } from './outbox-publish.js';
import { OUTBOX_DEFAULTS, relayBackoffMs, type OutboxRelayOptions } from './outbox.options.js';
export type { OutboxRelayOptions } from './outbox.options.js';
import { BrokerOutage, brokerAnswers, OUTAGE_MAX_MS } from './broker-outage.js';
import type { TaskOutbox } from './task-outbox.entity.js';
import { OutboxStore } from './outbox.store.js';
import { outboxSchemaError } from './outbox-schema.js';
import { readNextDue } from './outbox-backlog.js';
import {
  badOutboxRowLine,
  deadLetterOutboxRow,
  refusedOutboxRowLine,
} from './outbox-dead-letter.js';

/**
 * Rows failing one after another while the broker answers ping: the round stops there (a
 * broker that accepts connections but not messages would otherwise cost a publish timeout per
 * pending row per round).
 */
const STALL_AFTER_FAILURES = 2;

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
  private readonly store: OutboxStore;
  private readonly owner: string;
  private readonly leaseMs: number;
  private readonly pollIntervalMs: number;
  private readonly maxAttempts: number;
  private readonly batchSize: number;
  private listener?: PgNotificationListener;
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  /**
   * A round the database cut short: the rows it published (to delete); every other row this
   * relay holds is released, whether or not the claim's answer arrived.
   */
  private interrupted?: { published: string[] };
  /** The cause of the failing rounds since the last success (logged once). */
  private failing?: string;
  private readonly outage = new BrokerOutage();
  /** The last round stopped on rows failing one after another: wait before the next. */
  private stalled = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly broker: Broker,
    private readonly options: OutboxRelayOptions = {},
  ) {
    this.store = new OutboxStore(dataSource);
    this.leaseMs = options.leaseMs ?? OUTBOX_DEFAULTS.leaseMs;
    this.pollIntervalMs = options.pollIntervalMs ?? OUTBOX_DEFAULTS.pollIntervalMs;
    this.maxAttempts = options.maxAttempts ?? OUTBOX_DEFAULTS.maxAttempts;
    this.batchSize = options.batchSize ?? OUTBOX_DEFAULTS.batchSize;
    // Unique even when configured: after a failed round, this relay releases every row it holds.
    const name = options.owner ?? `relay:${hostname()}:${process.pid}`;
    this.owner = `${name}:${randomUUID().slice(0, 8)}`;
  }

  /** Start relaying in the background (idempotent). */
  start(): void {
    if (this.running) return;
    this.running = true;
    if (this.options.listen !== false && sqlDialect(this.dataSource) === 'postgres') {
      const wake = (): void => this.wake?.();
      this.listener = new PgNotificationListener(
        this.dataSource,
        this.options.channel ?? OUTBOX_DEFAULTS.channel,
        wake,
        // Rows committed while deaf: relay them now, not after the poll interval.
        wake,
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
    this.wake?.();
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
    await this.finishInterrupted();
    const published: string[] = [];
    try {
      return await this.round(published);
    } catch (error) {
      // The database failed mid-round (even in the claim, whose answer may be lost): the rows
      // stay leased to this relay. Finish them as soon as it answers again (delete the
      // published, release the rest), not after the lease.
      this.interrupted = { published };
      throw error;
    }
  }

  /** Claim, publish, delete; `published` holds the ids published and not yet deleted. */
  private async round(published: string[]): Promise<number> {
    const claimedAt = Date.now();
    const rows = await this.store.claimBatch(this.owner, this.leaseMs, this.batchSize);
    let total = 0;
    let failedInRow = 0;
    this.stalled = false;
    for (const [index, row] of rows.entries()) {
      const outcome = await this.publish(row);
      if (outcome === 'sent') {
        failedInRow = 0;
        published.push(row.id);
        total++;
        if (Date.now() - claimedAt < this.leaseMs / 2) continue;
        // Before another relay may retake them: delete what is published so far.
        await this.store.completeHeld(published, this.owner);
        published.length = 0;
        continue;
      }
      if (outcome === 'dead-lettered') continue;
      if (outcome === 'unreachable') {
        await this.store.release(
          rows.slice(index).map((r) => r.id),
          this.owner,
          { id: row.id, error: this.outage.error },
        );
        this.outageBegan(row, rows.length - index);
        break;
      }
      if (++failedInRow < STALL_AFTER_FAILURES) continue;
      await this.store.releaseUntried(
        rows.slice(index + 1).map((r) => r.id),
        this.owner,
      );
      this.stalled = true;
      this.logger.warn(
        `Outbox relay: ${failedInRow} rows in a row failed although the broker answers ` +
          `ping; stopped this round, ${rows.length - index - 1} claimed row(s) stay pending ` +
          `in order, next round in ${this.pollIntervalMs} ms. If every publish fails, ` +
          `check the broker (a RabbitMQ resource alarm blocks publishers, for instance).`,
      );
      break;
    }
    await this.store.completeHeld(published, this.owner);
    published.length = 0;
    if (total > 0) this.logger.log(`Relayed ${total} of ${rows.length} claimed outbox row(s).`);
    return rows.length;
  }

  /**
   * Publish one row. A failure is the broker's when it does not answer a ping either (the round
   * stops: 'unreachable'); else it is retried once at once, then counted against the row alone
   * ('failed': the row waits for its backoff, the rows behind it go on).
   */
  private async publish(
    row: TaskOutbox,
  ): Promise<'sent' | 'unreachable' | 'failed' | 'dead-lettered'> {
    let decoded: DecodedOutboxRow;
    try {
      decoded = decodeOutboxRow(row);
    } catch (error) {
      // No publish can fix the row's content: no retries, no broker blamed.
      await deadLetterOutboxRow(this.dataSource, row.id, this.owner, error);
      this.logger.error(badOutboxRowLine(row, error));
      return 'dead-lettered';
    }
    let failure: unknown;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await publishOutboxRow(this.broker, row, decoded, this.options.instrumentation);
        return 'sent';
      } catch (error) {
        failure = error;
      }
      if (!(await this.brokerAnswers())) {
        this.outage.begin(failure);
        return 'unreachable';
      }
    }
    if (row.attempts >= this.maxAttempts) {
      await deadLetterOutboxRow(this.dataSource, row.id, this.owner, failure);
      this.logger.error(refusedOutboxRowLine(row, failure));
      return 'failed';
    }
    await this.store.fail(row, this.owner, failure);
    const retryS = Math.round(relayBackoffMs(row.attempts) / 1000);
    this.logger.warn(
      `Publishing outbox row ${row.taskName}[${row.id}] to queue "${row.queue}" failed while ` +
        `the broker is reachable (attempt ${row.attempts}): ${String(failure)}. Retrying it in ` +
        `${retryS} s (dead-lettered after attempt ${this.maxAttempts}); the rows behind it go on. If it keeps failing (queue refused, message too ` +
        `large), fix the cause, or remove the row: DELETE FROM task_outbox WHERE id = '${row.id}'.`,
    );
    return 'failed';
  }

  private brokerAnswers(): Promise<boolean> {
    return brokerAnswers(this.broker);
  }

  private outageBegan(row: TaskOutbox, pending: number): void {
    this.logger.warn(
      `Outbox relay: the broker is unreachable (${String(this.outage.error)}); stopped at ` +
        `${row.taskName}[${row.id}], ${pending} claimed row(s) stay pending in order. Checking ` +
        `the broker with backoff (at most every ${OUTAGE_MAX_MS / 1000} s) and relaying again ` +
        `when it answers; check that the broker is running and reachable.`,
    );
  }

  /** After a round cut short by the database: delete what was published, release the rest. */
  private async finishInterrupted(): Promise<void> {
    const interrupted = this.interrupted;
    if (!interrupted) return;
    await this.store.completeHeld(interrupted.published, this.owner);
    const released = await this.store.releaseAllHeld(this.owner);
    this.interrupted = undefined;
    this.logger.log(`Database back: ${released} claimed outbox row(s) released for publishing.`);
  }

  private async run(): Promise<void> {
    while (this.running) {
      let delay = this.pollIntervalMs;
      try {
        if (this.outage.active) {
          if (!(await this.brokerAnswers())) {
            await this.sleep(this.outage.nextDelayMs());
            continue;
          }
          this.outage.end();
          this.logger.log('Outbox relay: the broker answers again; relaying the pending rows.');
        }
        const claimed = await this.relayOnce();
        this.recovered();
        if (this.outage.active) {
          await this.sleep(this.outage.nextDelayMs());
          continue;
        }
        if (claimed >= this.batchSize && !this.stalled) continue;
        const due = await readNextDue(this.dataSource);
        if (due) delay = Math.max(10, Math.min(delay, due.getTime() - Date.now() + 10));
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

  private sleep(ms: number): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
