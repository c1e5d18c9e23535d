import type { DataSource } from 'typeorm';
import { instantOf, qualifiedTable, sqlDialect } from '../../transports/typeorm/sql-dialect.js';
import { OUTBOX_DEAD_LETTER } from './outbox.options.js';
import { outboxRead } from './outbox-statement.js';

/**
 * What waits in `task_outbox`: rows not yet published, and the oldest one's `created_at`;
 * dead-lettered rows (see `deadLetterOutboxRow`) are counted apart.
 */
export interface OutboxBacklog {
  pending: number;
  /** Null when no row is pending. */
  oldest: Date | null;
  /** Rows the relay gave up on (`locked_by = 'dead-letter'`). */
  dead: number;
}

/**
 * Read the backlog with one aggregate query (no TypeORM entity machinery, so the metrics that
 * call it do not load TypeORM's runtime).
 */
export async function readOutboxBacklog(dataSource: DataSource): Promise<OutboxBacklog> {
  const table = qualifiedTable(dataSource, 'task_outbox');
  const dead = `locked_by = '${OUTBOX_DEAD_LETTER}'`;
  const rows = (await outboxRead(dataSource, (manager) =>
    manager.query(
      `SELECT SUM(CASE WHEN ${dead} THEN 0 ELSE 1 END) AS pending, ` +
        `MIN(CASE WHEN ${dead} THEN NULL ELSE created_at END) AS oldest, ` +
        `SUM(CASE WHEN ${dead} THEN 1 ELSE 0 END) AS dead FROM ${table}`,
    ),
  )) as Array<{
    pending: number | string | bigint | null;
    oldest: Date | string | null;
    dead: number | string | bigint | null;
  }>;
  const row = rows[0];
  return {
    pending: Number(row?.pending ?? 0),
    oldest: readInstant(dataSource, row?.oldest ?? null),
    dead: Number(row?.dead ?? 0),
  };
}

/** When the next row becomes claimable (due, and its lease expired), or null when empty. */
export async function readNextDue(dataSource: DataSource): Promise<Date | null> {
  const table = qualifiedTable(dataSource, 'task_outbox');
  const rows = (await outboxRead(dataSource, (manager) =>
    manager.query(
      `SELECT MIN(CASE WHEN locked_until IS NULL OR locked_until < relay_after ` +
        `THEN relay_after ELSE locked_until END) AS due FROM ${table}`,
    ),
  )) as Array<{ due: Date | string | null }>;
  return readInstant(dataSource, rows[0]?.due ?? null);
}

/** An instant read from a time column of `task_outbox` by a raw query (any supported driver). */
export function readInstant(dataSource: DataSource, value: Date | string | null): Date | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return instantOf(dataSource, value);
  return new Date(sqlDialect(dataSource) === 'sqlite' ? `${value.replace(' ', 'T')}Z` : value);
}
