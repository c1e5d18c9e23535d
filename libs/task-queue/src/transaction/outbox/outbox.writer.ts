import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityMetadataNotFoundError, type EntityManager } from 'typeorm';
import { isMissingTableError, sqlDialect, utcDate } from '../../backends/typeorm/sql-dialect.js';
import { OutboxTableMissingError } from '../../errors/outbox-table-missing.error.js';
import type { Broker, PublishOptions } from '../../interfaces/broker.interface.js';
import type { TaskMessage } from '../../interfaces/task-message.interface.js';
import { onCommit } from '../on-commit.js';
import { publishOutboxRow } from './outbox-publish.js';
import { OUTBOX_DEFAULTS, type OutboxCommonOptions } from './outbox.options.js';
import { OutboxStore } from './outbox.store.js';
import { TaskOutbox } from './task-outbox.entity.js';

/** Options of `OutboxWriter`. @publicApi */
export interface OutboxWriterOptions extends OutboxCommonOptions {
  /**
   * Broker for the fast path: after the commit, claim the row, publish it and delete it, so the
   * relay only handles what the fast path could not finish. Without it, only relays publish.
   */
  broker?: Broker;
  /** The relay leaves a fresh row to the fast path for this long (default 5 s). */
  graceMs?: number;
  /** PostgreSQL: `NOTIFY` relays when the transaction commits (default true). */
  notify?: boolean;
}

/**
 * Writes tasks into `task_outbox` inside the caller's transaction: the row commits or rolls
 * back with the business data, so a committed task is never lost (at-least-once delivery).
 * @publicApi
 */
export class OutboxWriter {
  private readonly logger = new Logger('Outbox');
  /** Lease owner name of this process's fast path. */
  readonly owner = `fast-path:${process.pid}:${randomUUID()}`;

  constructor(private readonly options: OutboxWriterOptions = {}) {}

  /**
   * Insert the message with `manager` (in its transaction, if any) and, when a broker is set,
   * register the after-commit fast path. Throws `OutboxTableMissingError` when the table or
   * entity is missing.
   */
  async write(
    manager: EntityManager,
    message: TaskMessage,
    options: PublishOptions,
  ): Promise<TaskOutbox> {
    const now = new Date();
    const row: TaskOutbox = {
      id: message.headers.id,
      queue: options.queue,
      taskName: message.headers.task,
      priority: options.priority ?? null,
      notBefore: options.notBefore ?? null,
      message: JSON.stringify(message),
      createdAt: now,
      relayAfter: new Date(now.getTime() + (this.options.graceMs ?? OUTBOX_DEFAULTS.graceMs)),
      attempts: 0,
      lastError: null,
      lockedBy: null,
      lockedUntil: null,
    };
    try {
      const dataSource = manager.connection;
      await manager.insert(TaskOutbox, {
        ...row,
        notBefore: row.notBefore && utcDate(dataSource, row.notBefore),
        createdAt: utcDate(dataSource, row.createdAt),
        relayAfter: utcDate(dataSource, row.relayAfter),
      });
    } catch (error) {
      if (error instanceof EntityMetadataNotFoundError)
        throw new OutboxTableMissingError('entity', { cause: error });
      if (isMissingTableError(error)) throw new OutboxTableMissingError('table', { cause: error });
      throw error;
    }
    if (this.options.notify !== false && sqlDialect(manager.connection) === 'postgres') {
      await manager.query('SELECT pg_notify($1, $2)', [
        this.options.channel ?? OUTBOX_DEFAULTS.channel,
        row.queue,
      ]);
    }
    const broker = this.options.broker;
    if (broker) {
      const fastPath = (): Promise<void> => this.publishNow(manager, broker, row.id);
      await onCommit(manager, fastPath, {
        robust: true,
        name: `outbox fast path ${row.taskName}[${row.id}]`,
        strict: false,
      });
    }
    return row;
  }

  private async publishNow(manager: EntityManager, broker: Broker, id: string): Promise<void> {
    const store = new OutboxStore(manager.connection);
    // Zero rows: the transaction did not really commit (PostgreSQL aborted transaction), or a
    // relay has it already. Either way there is nothing to do here.
    const row = await store.claimOne(
      id,
      this.owner,
      this.options.leaseMs ?? OUTBOX_DEFAULTS.leaseMs,
    );
    if (!row) return;
    try {
      await publishOutboxRow(broker, row);
    } catch (error) {
      this.logger.warn(
        `Publishing ${row.taskName}[${id}] after commit failed: ${String(error)}. The outbox relay will retry it.`,
      );
      await store.fail(row, this.owner, error);
      return;
    }
    await store.complete(id, this.owner);
  }
}
