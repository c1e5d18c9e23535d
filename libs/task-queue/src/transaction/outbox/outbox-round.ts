import type { Logger } from '@nestjs/common';
import type { Broker } from '../../contracts/broker.interface.js';
import type { DataSource } from '../../contracts/typeorm-peer.types.js';
import type { TaskInstrumentation } from '../../tasks/task-instrumentation.js';
import { type BrokerOutage, brokerAnswers, OUTAGE_MAX_MS } from './broker-outage.js';
import {
  badOutboxRowLine,
  deadLetterOutboxRow,
  refusedOutboxRowLine,
} from './outbox-dead-letter.js';
import { decodeOutboxRow, publishOutboxRow, type DecodedOutboxRow } from './outbox-publish.js';
import { relayBackoffMs } from './outbox.options.js';
import { sqlDialect } from '../../transports/typeorm/sql-dialect.js';
import type { OutboxStore } from './outbox.store.js';
import type { TaskOutbox } from './task-outbox.entity.js';

/**
 * Rows failing one after another while the broker answers ping: the round stops there (a
 * broker that accepts connections but not messages would otherwise cost a publish timeout per
 * pending row per round).
 */
const STALL_AFTER_FAILURES = 2;

/** What one relay's rounds work with (resolved from `OutboxRelayOptions`). */
export interface OutboxRoundSettings {
  owner: string;
  leaseMs: number;
  pollIntervalMs: number;
  maxAttempts: number;
  batchSize: number;
  instrumentation?: TaskInstrumentation;
}

/**
 * The rounds of one outbox relay: claim a batch, publish each row in order, delete the
 * published ones, and decide what a failed publish means (the broker's outage, the row's own
 * failure, a row no publish can fix).
 */
export class OutboxRounds {
  /** The last round stopped on rows failing one after another: wait before the next. */
  stalled = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly broker: Broker,
    private readonly store: OutboxStore,
    private readonly outage: BrokerOutage,
    private readonly logger: Logger,
    private readonly settings: OutboxRoundSettings,
  ) {}

  /** Claim, publish, delete; `published` holds the ids published and not yet deleted. */
  async run(published: string[]): Promise<number> {
    const { owner, leaseMs } = this.settings;
    const claimedAt = Date.now();
    const rows = await this.store.claimBatch(owner, leaseMs, this.settings.batchSize);
    let total = 0;
    let failedInRow = 0;
    this.stalled = false;
    for (const [index, row] of rows.entries()) {
      const outcome = await this.publish(row);
      if (outcome === 'sent') {
        failedInRow = 0;
        published.push(row.id);
        total++;
        if (Date.now() - claimedAt < leaseMs / 2) continue;
        // Before another relay may retake them: delete what is published so far.
        await this.store.completeHeld(published, owner);
        published.length = 0;
        continue;
      }
      if (outcome === 'dead-lettered') continue;
      if (outcome === 'unreachable') {
        await this.store.release(
          rows.slice(index).map((r) => r.id),
          owner,
          { id: row.id, error: this.outage.error },
        );
        this.outageBegan(row, rows.length - index);
        break;
      }
      if (++failedInRow < STALL_AFTER_FAILURES) continue;
      await this.store.releaseUntried(
        rows.slice(index + 1).map((r) => r.id),
        owner,
      );
      this.stalled = true;
      this.logger.warn(
        `Outbox relay: ${failedInRow} rows in a row failed although the broker answers ` +
          `ping; stopped this round, ${rows.length - index - 1} claimed row(s) stay pending ` +
          `in order, next round in ${this.settings.pollIntervalMs} ms. If every publish fails, ` +
          `check the broker (a RabbitMQ resource alarm blocks publishers, for instance).`,
      );
      break;
    }
    await this.store.completeHeld(published, owner);
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
    const { owner, maxAttempts } = this.settings;
    let decoded: DecodedOutboxRow;
    try {
      decoded = decodeOutboxRow(row);
    } catch (error) {
      // No publish can fix the row's content: no retries, no broker blamed.
      await deadLetterOutboxRow(this.dataSource, row.id, owner, error);
      this.logger.error(badOutboxRowLine(row, error, sqlDialect(this.dataSource)));
      return 'dead-lettered';
    }
    let failure: unknown;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await publishOutboxRow(this.broker, row, decoded, this.settings.instrumentation);
        return 'sent';
      } catch (error) {
        failure = error;
      }
      if (!(await brokerAnswers(this.broker))) {
        this.outage.begin(failure);
        return 'unreachable';
      }
    }
    if (row.attempts >= maxAttempts) {
      await deadLetterOutboxRow(this.dataSource, row.id, owner, failure);
      this.logger.error(refusedOutboxRowLine(row, failure, sqlDialect(this.dataSource)));
      return 'failed';
    }
    await this.store.fail(row, owner, failure);
    const retryS = Math.round(relayBackoffMs(row.attempts) / 1000);
    this.logger.warn(
      `Publishing outbox row ${row.taskName}[${row.id}] to queue "${row.queue}" failed while ` +
        `the broker is reachable (attempt ${row.attempts}): ${String(failure)}. Retrying it in ` +
        `${retryS} s (dead-lettered after attempt ${maxAttempts}); the rows behind it go on. If it keeps failing (queue refused, message too ` +
        `large), fix the cause, or remove the row: DELETE FROM task_outbox WHERE id = '${row.id}'.`,
    );
    return 'failed';
  }

  private outageBegan(row: TaskOutbox, pending: number): void {
    this.logger.warn(
      `Outbox relay: the broker is unreachable (${String(this.outage.error)}); stopped at ` +
        `${row.taskName}[${row.id}], ${pending} claimed row(s) stay pending in order. Checking ` +
        `the broker with backoff (at most every ${OUTAGE_MAX_MS / 1000} s) and relaying again ` +
        `when it answers; check that the broker is running and reachable.`,
    );
  }
}
