import type { EntityManager } from 'typeorm';
import {
  dateParam,
  qualifiedTable,
  sqlDialect,
  utcDate,
} from '../../transports/typeorm/sql-dialect.js';
import { TaskOutbox } from './task-outbox.entity.js';

const COLUMNS =
  'id, queue, task_name, priority, not_before, message, created_at, seq, relay_after, trace_context';

/**
 * Insert an outbox row with `manager` (in its transaction). One plain parameterized INSERT on
 * PostgreSQL, MySQL/MariaDB and SQLite: the entity path (`manager.insert`) costs several times
 * more CPU per row and this runs once per task. Other drivers use the entity path.
 */
export async function insertOutboxRow(manager: EntityManager, row: TaskOutbox): Promise<void> {
  const dataSource = manager.connection;
  const dialect = sqlDialect(dataSource);
  if (dialect === 'other') {
    await manager.insert(TaskOutbox, {
      ...row,
      notBefore: row.notBefore && utcDate(dataSource, row.notBefore),
      createdAt: utcDate(dataSource, row.createdAt),
      relayAfter: utcDate(dataSource, row.relayAfter),
    });
    return;
  }
  const values = [
    row.id,
    row.queue,
    row.taskName,
    row.priority,
    row.notBefore && dateParam(dataSource, row.notBefore),
    row.message,
    dateParam(dataSource, row.createdAt),
    row.seq,
    dateParam(dataSource, row.relayAfter),
    row.traceContext,
  ];
  const placeholders = values.map((_, i) => (dialect === 'postgres' ? `$${i + 1}` : '?'));
  await manager.query(
    `INSERT INTO ${qualifiedTable(dataSource, 'task_outbox')} (${COLUMNS}, attempts) ` +
      `VALUES (${placeholders.join(', ')}, 0)`,
    values,
  );
}
