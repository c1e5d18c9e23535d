import type { DataSource, EntityManager } from 'typeorm';
import { sqlDialect } from '../../transports/typeorm/sql-dialect.js';

/** Per PostgreSQL DataSource: whether its sessions default to READ COMMITTED (asked once). */
const readCommittedDefault = new WeakMap<DataSource, Promise<boolean>>();

/**
 * Run one statement of a relay or of the fast path on `task_outbox` (a claim, a read, a delete,
 * a release) at READ COMMITTED, whatever the database's default isolation:
 * - MySQL/MariaDB: always in a READ COMMITTED transaction of its own. At the server's default
 *   REPEATABLE READ, InnoDB also locks the gaps around the rows such a statement scans, which
 *   blocks the app's transactions that insert outbox rows there, and the two deadlock (InnoDB
 *   then rolls one back, often the app's). READ COMMITTED locks only the rows a statement
 *   changes, and an UPDATE does not wait for rows that do not match.
 * - PostgreSQL: autocommit, unless the sessions default to another level
 *   (`default_transaction_isolation`, set on the database or role); then in a READ COMMITTED
 *   transaction. At REPEATABLE READ or SERIALIZABLE, two claimers of one row fail with "could not
 *   serialize access" instead of skipping it, and at SERIALIZABLE the relay's scans of the table
 *   make PostgreSQL abort the app's transactions that insert outbox rows.
 * Elsewhere `fn` gets the DataSource's manager (the statement autocommits).
 */
export async function outboxStatement<T>(
  dataSource: DataSource,
  fn: (manager: EntityManager) => Promise<T>,
): Promise<T> {
  const dialect = sqlDialect(dataSource);
  if (dialect === 'mysql') return dataSource.transaction('READ COMMITTED', fn);
  // CockroachDB (dialect 'postgres' too) runs everything SERIALIZABLE: autocommit, as before.
  if (dataSource.options.type === 'postgres' && !(await defaultsToReadCommitted(dataSource)))
    return dataSource.transaction('READ COMMITTED', fn);
  return fn(dataSource.manager);
}

/**
 * Run a read of `task_outbox` (the relay's next due time, the backlog metrics, the rows a relay
 * claimed): like `outboxStatement` on PostgreSQL (at SERIALIZABLE a scan of the table takes
 * predicate locks that abort the app's transactions inserting outbox rows); a plain autocommit
 * read elsewhere (InnoDB reads without locks in autocommit, whatever the isolation).
 */
export async function outboxRead<T>(
  dataSource: DataSource,
  fn: (manager: EntityManager) => Promise<T>,
): Promise<T> {
  if (sqlDialect(dataSource) === 'postgres') return outboxStatement(dataSource, fn);
  return fn(dataSource.manager);
}

function defaultsToReadCommitted(dataSource: DataSource): Promise<boolean> {
  let known = readCommittedDefault.get(dataSource);
  if (known) return known;
  known = (
    dataSource.query('SHOW default_transaction_isolation') as Promise<
      Array<{ default_transaction_isolation?: unknown }>
    >
  ).then(([row]) => {
    // READ UNCOMMITTED behaves as READ COMMITTED on PostgreSQL.
    const level = String(row?.default_transaction_isolation ?? '');
    return level === 'read committed' || level === 'read uncommitted';
  });
  readCommittedDefault.set(dataSource, known);
  // Not answered (database down): ask again next time.
  known.catch(() => readCommittedDefault.delete(dataSource));
  return known;
}
