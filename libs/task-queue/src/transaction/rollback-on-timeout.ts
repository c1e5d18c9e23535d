import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { errorText } from '../utils/error-text.js';

/**
 * Whether a MySQL/MariaDB server rolls back the WHOLE transaction on a lock wait timeout
 * (ER_LOCK_WAIT_TIMEOUT, 1205). By default InnoDB undoes only the statement that timed out and the
 * transaction goes on; with `innodb_rollback_on_timeout = ON` (a server start-up option) it undoes
 * the transaction, and what the code then runs autocommits on its own. The setting is read once
 * per DataSource when the commit hooks are attached: a lock wait lasts at least
 * `innodb_lock_wait_timeout` (a second or more), so the answer is known before one can time out.
 */
const rollsBack = new WeakMap<DataSource, boolean>();
const logger = new Logger('OnCommit');

const MYSQL_DRIVERS: ReadonlySet<string> = new Set(['mysql', 'mariadb', 'aurora-mysql']);

/** Read `innodb_rollback_on_timeout` of `dataSource`'s server (MySQL family only; never throws). */
export async function readRollbackOnTimeout(dataSource: DataSource): Promise<void> {
  if (!MYSQL_DRIVERS.has(dataSource.options.type) || rollsBack.has(dataSource)) return;
  try {
    const rows = (await dataSource.query(
      'SELECT @@GLOBAL.innodb_rollback_on_timeout AS value',
    )) as Array<{ value: unknown }>;
    rollsBack.set(dataSource, Number(rows[0]?.value) === 1);
  } catch (error) {
    logger.warn(
      `Could not read innodb_rollback_on_timeout (${errorText(error)}); a lock wait timeout is ` +
        'taken to undo only its statement (the InnoDB default).',
    );
  }
}

/** True when a lock wait timeout on `dataSource` rolled its whole transaction back. */
export function lockWaitTimeoutRollsBack(dataSource: DataSource): boolean {
  return rollsBack.get(dataSource) === true;
}
