import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { DataSource } from '../../contracts/typeorm-peer.types.js';
import { PgNotificationListener } from '../../transports/typeorm/pg-notification.listener.js';
import { sqlDialect } from '../../transports/typeorm/sql-dialect.js';
import type { Broker } from '../../contracts/broker.interface.js';
import { publishOutboxRow } from './outbox-publish.js';
import { OUTBOX_DEFAULTS, type OutboxCommonOptions } from './outbox.options.js';
import { OutboxStore } from './outbox.store.js';
import { outboxSchemaError } from './outbox-schema.js';
import type { TaskInstrumentation } from '../../tasks/task-instrumentation.js';

/** Options of `OutboxRelay`. @publicApi */
export interface OutboxRelayOptions extends OutboxCommonOptions {
  /** Rows claimed per round (default 100). */
  batchSize?: number;
  /** Longest sleep between rounds when idle, in ms (default 2 000). */
  pollIntervalMs?: number;
  /** PostgreSQL: wake up on NOTIFY (default true). */
  listen?: boolean;
  /** Lease owner name, for diagnostics (default host:pid:random). */
  owner?: string;
  /** Wraps each publish (the module passes its TaskInstrumentation: tracing). */
  instrumentation?: TaskInstrumentation;
}

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
  private listener?: PgNotificationListener;
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  /** Claimed rows of a round the database cut short: to delete (published) or release. */
  private interrupted?: { published: string[]; unpublished: string[] };
  /** The cause of the failing rounds since the last success (logged once). */
  private failing?: string;

  constructor(
    private readonly dataSource: DataSource,
    private readonly broker: Broker,
    private readonly options: OutboxRelayOptions = {},
  ) {
    this.store = new OutboxStore(dataSource);
    this.owner = options.owner ?? `relay:${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
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

  /** One round: claim a batch, publish each row, delete the published ones. Returns the number claimed. */
  async relayOnce(): Promise<number> {
    await this.finishInterrupted();
    const rows = await this.store.claimBatch(this.owner, this.leaseMs, this.batchSize);
    let published = 0;
    let failed: { count: number; first: string } | undefined;
    for (const [index, row] of rows.entries()) {
      let sent = false;
      try {
        try {
          await publishOutboxRow(this.broker, row, this.options.instrumentation);
          sent = true;
        } catch (error) {
          // One line per round, not per row: a broker outage fails every row of the batch.
          const what = `${row.taskName}[${row.id}] (attempt ${row.attempts}): ${String(error)}`;
          failed = { count: (failed?.count ?? 0) + 1, first: failed?.first ?? what };
          await this.store.fail(row, this.owner, error);
          continue;
        }
        await this.store.complete(row.id, this.owner);
        published++;
      } catch (error) {
        // The database failed mid-batch: the rest of the claimed rows stay leased to this relay.
        // Finish them as soon as it answers again, not after the lease.
        this.interrupted = {
          published: sent ? [row.id] : [],
          unpublished: rows.slice(sent ? index + 1 : index).map((r) => r.id),
        };
        throw error;
      }
    }
    if (failed) {
      this.logger.warn(
        `Publishing ${failed.count} of ${rows.length} claimed outbox row(s) failed; first: ` +
          `${failed.first}. They will be retried with backoff.`,
      );
    }
    if (rows.length > 0)
      this.logger.log(`Relayed ${published} of ${rows.length} claimed outbox row(s).`);
    return rows.length;
  }

  /** After a round cut short by the database: delete what was published, release the rest. */
  private async finishInterrupted(): Promise<void> {
    const interrupted = this.interrupted;
    if (!interrupted) return;
    await this.store.completeMany(interrupted.published, this.owner);
    await this.store.release(interrupted.unpublished, this.owner);
    this.interrupted = undefined;
    this.logger.log(
      `Database back: ${interrupted.unpublished.length} claimed outbox row(s) released for publishing.`,
    );
  }

  private get leaseMs(): number {
    return this.options.leaseMs ?? OUTBOX_DEFAULTS.leaseMs;
  }

  private get batchSize(): number {
    return this.options.batchSize ?? OUTBOX_DEFAULTS.batchSize;
  }

  private async run(): Promise<void> {
    while (this.running) {
      let delay = this.options.pollIntervalMs ?? OUTBOX_DEFAULTS.pollIntervalMs;
      try {
        const claimed = await this.relayOnce();
        this.recovered();
        if (claimed >= this.batchSize) continue;
        const due = await this.store.nextDue();
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
