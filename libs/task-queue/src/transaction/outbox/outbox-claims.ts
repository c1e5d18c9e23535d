import type { DataSource } from 'typeorm';
import { qualifiedTable, utcDate } from '../../transports/typeorm/sql-dialect.js';
import { outboxStatement } from './outbox-statement.js';

/**
 * PostgreSQL: lease up to `limit` due rows for `owner` in one statement (rows other claimers
 * hold are skipped, not waited for), in relay order. Resolves their ids.
 */
export function claimIdsPostgres(
  dataSource: DataSource,
  owner: string,
  leaseMs: number,
  limit: number,
): Promise<string[]> {
  const table = qualifiedTable(dataSource, 'task_outbox');
  const now = new Date();
  return outboxStatement(dataSource, async ({ queryRunner }) => {
    const runner = queryRunner ?? dataSource.createQueryRunner();
    try {
      const result = await runner.query(
        `UPDATE ${table} SET locked_by = $1, locked_until = $2, attempts = attempts + 1
         WHERE id IN (
           SELECT id FROM ${table}
           WHERE relay_after <= $3 AND (locked_until IS NULL OR locked_until < $3)
           ORDER BY created_at, seq LIMIT $4 FOR UPDATE SKIP LOCKED)
         RETURNING id`,
        [owner, new Date(now.getTime() + leaseMs), now, limit],
        true,
      );
      return (result.records as Array<{ id: string }>).map((r) => r.id);
    } finally {
      if (!queryRunner) await runner.release();
    }
  });
}

/**
 * MySQL 8 / MariaDB 10.6+: the same with `SELECT … FOR UPDATE SKIP LOCKED`, then an UPDATE of
 * the rows found, in one READ COMMITTED transaction (see `outboxStatement`). Older servers
 * reject SKIP LOCKED with ER_PARSE_ERROR.
 */
export function claimIdsMysql(
  dataSource: DataSource,
  owner: string,
  leaseMs: number,
  limit: number,
): Promise<string[]> {
  const table = qualifiedTable(dataSource, 'task_outbox');
  const now = new Date();
  const time = (date: Date): Date => utcDate(dataSource, date);
  return outboxStatement(dataSource, async (manager) => {
    const rows: Array<{ id: string }> = await manager.query(
      `SELECT id FROM ${table} WHERE relay_after <= ? AND (locked_until IS NULL OR locked_until < ?)
       ORDER BY created_at, seq LIMIT ${Number(limit)} FOR UPDATE SKIP LOCKED`,
      [time(now), time(now)],
    );
    if (rows.length === 0) return [];
    await manager.query(
      `UPDATE ${table} SET locked_by = ?, locked_until = ?, attempts = attempts + 1 WHERE id IN (${rows.map(() => '?').join(', ')})`,
      [owner, time(new Date(now.getTime() + leaseMs)), ...rows.map((r) => r.id)],
    );
    return rows.map((r) => r.id);
  });
}
