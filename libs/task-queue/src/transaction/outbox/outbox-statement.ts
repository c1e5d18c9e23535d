import type { DataSource, EntityManager } from 'typeorm';
import { sqlDialect } from '../../transports/typeorm/sql-dialect.js';

/**
 * Run one statement of a relay or of the fast path on `task_outbox` (a claim, a delete, a
 * release). On MySQL/MariaDB it runs in a READ COMMITTED transaction of its own: at the server's
 * default REPEATABLE READ, InnoDB also locks the gaps around the rows such a statement scans,
 * which blocks the app's transactions that insert outbox rows there, and the two deadlock
 * (InnoDB then rolls one back, often the app's). READ COMMITTED locks only the rows a statement
 * changes, and an UPDATE does not wait for rows that do not match. Elsewhere `fn` gets the
 * DataSource's manager (the statement autocommits).
 */
export function outboxStatement<T>(
  dataSource: DataSource,
  fn: (manager: EntityManager) => Promise<T>,
): Promise<T> {
  if (sqlDialect(dataSource) !== 'mysql') return fn(dataSource.manager);
  return dataSource.transaction('READ COMMITTED', fn);
}
