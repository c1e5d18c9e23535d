import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityMetadataNotFoundError, type DataSource, type EntityManager } from 'typeorm';
import { sqlDialect } from '../../transports/typeorm/sql-dialect.js';
import { OutboxTableMissingError } from '../../errors/outbox-table-missing.error.js';
import { TransactionRolledBackError } from '../../errors/transaction-rolled-back.error.js';
import { commitHooksRegistry } from '../commit-hooks.registry.js';
import type { Broker, PublishOptions } from '../../contracts/broker.interface.js';
import type { TaskMessage } from '../../contracts/task-message.interface.js';
import { commitHooksRunner } from '../commit-hooks.runner.js';
import { onCommit } from '../on-commit.js';
import { rebaseTimes, type RelativeTimes } from '../../producer/relative-times.js';
import { insertOutboxRow } from './outbox-insert.js';
import { outboxJson } from './outbox-json.js';
import { nextOutboxPosition } from './outbox-position.js';
import { outboxSchemaError } from './outbox-schema.js';
import { Batcher } from './batcher.js';
import { brokerAnswers } from './broker-outage.js';
import { OUTBOX_DEFAULTS, type OutboxCommonOptions } from './outbox.options.js';
import { OutboxStore } from './outbox.store.js';
import { TaskOutbox } from './task-outbox.entity.js';
import {
  NO_INSTRUMENTATION,
  type TaskInstrumentation,
  type TraceCarrier,
} from '../../tasks/task-instrumentation.js';

/** The fast path claims a row before publishing it when its grace period ends within this. */
const FAST_PATH_MARGIN_MS = 1_000;

/** Published rows are deleted in batches collected for this long (well under the claim margin). */
const DELETE_DELAY_MS = 100;

/** Options of `OutboxWriter`. */
export interface OutboxWriterOptions extends OutboxCommonOptions {
  /**
   * Broker for the fast path: after the commit, claim the row, publish it and delete it, so the
   * relay only handles what the fast path could not finish. Without it, only relays publish.
   */
  broker?: Broker;
  /** The relay leaves a fresh row to the fast path for this long (default 5 s). */
  graceMs?: number;
  /**
   * PostgreSQL: `NOTIFY` relays when the transaction commits. Default: only without a fast path
   * (no broker); with one, relays would find nothing due before the grace period anyway.
   */
  notify?: boolean;
  /** Wraps the fast path's publishes (the module passes its TaskInstrumentation: tracing). */
  instrumentation?: TaskInstrumentation;
}

/**
 * Writes tasks into `task_outbox` inside the caller's transaction: the row commits or rolls
 * back with the business data, so a committed task is never lost (at-least-once delivery).
 * Internal: the module runs it (see the `typeorm` options).
 */
export class OutboxWriter {
  private readonly logger = new Logger('Outbox');
  /** Lease owner name of this process's fast path. */
  readonly owner = `fast-path:${process.pid}:${randomUUID()}`;
  private readonly stores = new WeakMap<DataSource, OutboxStore>();
  private readonly deletes = new WeakMap<DataSource, Batcher<string>>();
  private readonly checked = new WeakSet<DataSource>();
  /** Brokers whose last fast-path publish failed without a ping answer (logged once). */
  private readonly unreachable = new WeakSet<Broker>();

  constructor(private readonly options: OutboxWriterOptions = {}) {}

  /**
   * Insert the message with `manager` (in its transaction, if any) and, when a broker is set,
   * register the after-commit fast path. Throws `OutboxTableMissingError` when the table or
   * entity is missing, `TransactionRolledBackError` when MySQL/MariaDB already rolled the
   * transaction back (a caught deadlock or snapshot-isolation conflict).
   */
  async write(
    manager: EntityManager,
    message: TaskMessage,
    options: PublishOptions,
    traceContext?: TraceCarrier,
    /** `countdown` / `expires` in seconds: the fast path counts them from the COMMIT. */
    relative?: RelativeTimes,
  ): Promise<TaskOutbox> {
    const now = new Date();
    const dialect = sqlDialect(manager.connection);
    const { createdAt, seq } = nextOutboxPosition();
    const row: TaskOutbox = {
      id: message.headers.id,
      queue: options.queue,
      taskName: message.headers.task,
      priority: options.priority ?? null,
      notBefore: options.notBefore ?? null,
      message: outboxJson(message, dialect),
      createdAt,
      seq,
      relayAfter: new Date(now.getTime() + (this.options.graceMs ?? OUTBOX_DEFAULTS.graceMs)),
      attempts: 0,
      lastError: null,
      lockedBy: null,
      lockedUntil: null,
      traceContext: traceContext ? outboxJson(traceContext, dialect) : null,
    };
    // MySQL/MariaDB after a caught deadlock or snapshot-isolation conflict: the insert would
    // autocommit on its own.
    if (manager.queryRunner && commitHooksRegistry.isRolledBack(manager.queryRunner))
      throw new TransactionRolledBackError(`${row.taskName}[${row.id}]`);
    try {
      this.checkEntity(manager.connection);
      await insertOutboxRow(manager, row);
    } catch (error) {
      if (error instanceof EntityMetadataNotFoundError)
        throw new OutboxTableMissingError('entity', { cause: error });
      throw outboxSchemaError(error) ?? error;
    }
    // With a fast path, relays would find nothing due before the grace period: no NOTIFY.
    const notify = this.options.notify ?? !this.options.broker;
    if (notify && dialect === 'postgres') {
      await manager.query('SELECT pg_notify($1, $2)', [
        this.options.channel ?? OUTBOX_DEFAULTS.channel,
        row.queue,
      ]);
    }
    const broker = this.options.broker;
    if (broker) {
      const dataSource = manager.connection;
      const fastPath = (): Promise<void> =>
        this.publishNow(dataSource, broker, row, message, options, relative);
      await onCommit(manager, fastPath, {
        robust: true,
        name: `outbox fast path ${row.taskName}[${row.id}]`,
        strict: false,
      });
    }
    return row;
  }

  /**
   * After commit: publish the row from memory and delete it (deletes of one event-loop turn go
   * out as one statement). A row whose grace period is (nearly) over may be claimed by a relay,
   * so it is claimed first; a fresh one is not, to save a round trip per task. The PostgreSQL
   * "COMMIT became ROLLBACK" case never gets here: the commit hooks discard its callbacks.
   */
  private async publishNow(
    dataSource: DataSource,
    broker: Broker,
    row: TaskOutbox,
    message: TaskMessage,
    options: PublishOptions,
    relative: RelativeTimes | undefined,
  ): Promise<void> {
    const store = this.storeOf(dataSource);
    // The broker did not answer a moment ago: the relay publishes the row once it answers
    // (a publish timeout per task would hold every callback, and shutdown, meanwhile).
    if (this.unreachable.has(broker)) {
      if (!(await brokerAnswers(broker))) return;
      this.unreachable.delete(broker);
      this.logger.log('The broker answers again: the outbox fast path publishes after commit.');
    }
    const late = Date.now() >= row.relayAfter.getTime() - FAST_PATH_MARGIN_MS;
    if (late) {
      const leaseMs = this.options.leaseMs ?? OUTBOX_DEFAULTS.leaseMs;
      // Zero rows: the transaction did not really commit, or a relay has it already.
      if (!(await store.claim(row.id, this.owner, leaseMs))) return;
    }
    // The row keeps the times of the call: a relay publishing it late counts from then.
    rebaseTimes(message, relative);
    try {
      // The message in memory: the row holds the same, serialized (times aside).
      const context = row.traceContext ? (JSON.parse(row.traceContext) as TraceCarrier) : undefined;
      await (this.options.instrumentation ?? NO_INSTRUMENTATION).wrapPublish(
        { message, options, via: 'outbox', context, decidedAt: row.createdAt.getTime() },
        () => broker.publish(message, options),
      );
    } catch (error) {
      if (!(await brokerAnswers(broker))) {
        // Left in place (a claim given back), in order: the relay takes it after graceMs.
        if (late) await store.release([row.id], this.owner, { id: row.id, error });
        if (this.unreachable.has(broker)) return;
        this.unreachable.add(broker);
        this.logger.warn(
          `Publishing ${row.taskName}[${row.id}] after commit failed and the broker does not ` +
            `answer: ${String(error)}. Until it answers, the outbox fast path leaves tasks to ` +
            `the outbox relay (run one in a worker), which publishes them in order.`,
        );
        return;
      }
      this.logger.warn(
        `Publishing ${row.taskName}[${row.id}] after commit failed: ${String(error)}. The outbox relay will retry it.`,
      );
      await store.fail(row, this.owner, error, late);
      return;
    }
    // Not awaited: the delete of a published row is not urgent (the relay leaves the row alone
    // for the grace period) and is shared with other rows; drainOnCommit() still waits for it.
    // A failed batch logs once (completeBatch), not once per row.
    const deleted = this.completions(dataSource, store)
      .add(row.id)
      .catch(() => undefined);
    commitHooksRunner.track(deleted, dataSource);
  }

  /** The relay and fast path need the entity: fail at write time when it is missing. */
  private checkEntity(dataSource: DataSource): void {
    if (this.checked.has(dataSource)) return;
    dataSource.getMetadata(TaskOutbox); // throws EntityMetadataNotFoundError
    this.checked.add(dataSource);
  }

  /** Delete published rows; a failure (the database went away) is logged once per batch. */
  private async completeBatch(store: OutboxStore, ids: string[]): Promise<void> {
    try {
      await store.completeMany(ids, this.owner);
    } catch (error) {
      this.logger.warn(
        `Deleting ${ids.length} published outbox row(s) failed (${String(error)}): a relay ` +
          `publishes them again once their grace period is over, and workers with a result ` +
          `backend skip the copies of tasks that already succeeded. Check that the database ` +
          `is reachable.`,
      );
      throw error;
    }
  }

  private storeOf(dataSource: DataSource): OutboxStore {
    let store = this.stores.get(dataSource);
    if (!store) this.stores.set(dataSource, (store = new OutboxStore(dataSource)));
    return store;
  }

  private completions(dataSource: DataSource, store: OutboxStore): Batcher<string> {
    let batcher = this.deletes.get(dataSource);
    if (!batcher) {
      batcher = new Batcher((ids) => this.completeBatch(store, ids), DELETE_DELAY_MS, 500);
      this.deletes.set(dataSource, batcher);
    }
    return batcher;
  }
}
