import type { EntityManager } from 'typeorm';
import {
  dateParam,
  qualifiedTable,
  sqlDialect,
  utcDate,
} from '../../transports/typeorm/sql-dialect.js';
import { InvalidMessageError } from '../../errors/invalid-message.error.js';
import { TaskOutbox } from './task-outbox.entity.js';
import { checkPacketSize } from './outbox-packet.js';

const COLUMNS =
  'id, queue, task_name, priority, not_before, message, created_at, seq, relay_after, trace_context';

/**
 * Insert an outbox row with `manager` (in its transaction). One plain parameterized INSERT on
 * PostgreSQL, MySQL/MariaDB and SQLite: the entity path (`manager.insert`) costs several times
 * more CPU per row and this runs once per task. Other drivers use the entity path.
 */
export async function insertOutboxRow(manager: EntityManager, row: TaskOutbox): Promise<void> {
  checkColumnWidths(row);
  const dataSource = manager.connection;
  const dialect = sqlDialect(dataSource);
  if (dialect === 'mysql') await checkPacketSize(manager, row);
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

/** Width of the `varchar` columns of `task_outbox` (CreateTaskOutbox…). */
const VARCHAR_WIDTH = 255;

/**
 * Refuse a row whose queue, task name or task id does not fit its column, before the INSERT:
 * PostgreSQL would abort the caller's transaction, MySQL/MariaDB in non-strict mode would cut
 * the value (and the relay would publish to another queue).
 */
function checkColumnWidths(row: TaskOutbox): void {
  const fields: Array<[what: string, value: string]> = [
    ['queue name', row.queue],
    ['task name', row.taskName],
    ['task id', row.id],
  ];
  for (const [what, value] of fields) {
    const length = [...value].length;
    if (length <= VARCHAR_WIDTH) continue;
    throw new InvalidMessageError(
      `Cannot write ${row.taskName.slice(0, 120)}[${row.id.slice(0, 120)}] to the outbox: its ` +
        `${what} is ${length} characters long; the task_outbox table holds at most ` +
        `${VARCHAR_WIDTH}. Use a shorter ${what}. Nothing was written.`,
    );
  }
}
