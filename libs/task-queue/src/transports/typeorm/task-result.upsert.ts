import type { DataSource } from 'typeorm';
import { READY_STATES } from '../../results/task-states.js';
import { dateParam, qualifiedTable, sqlDialect } from './sql-dialect.js';

/** Column values of one `task_result` row, in `COLUMNS` order. */
export type TaskResultValues = Record<(typeof COLUMNS)[number], unknown>;

export const COLUMNS = [
  'task_id',
  'status',
  'result',
  'traceback',
  'children',
  'name',
  'args',
  'kwargs',
  'worker',
  'retries',
  'queue',
  'group_id',
  'parent_id',
  'date_created',
  'date_done',
  'expires_at',
] as const;

const READY = [...READY_STATES].map((s) => `'${s}'`).join(', ');
/** Columns an update may change (task_id and date_created are kept). */
const UPDATED = COLUMNS.filter((c) => c !== 'task_id' && c !== 'date_created' && c !== 'status');

/**
 * Insert or update a result in ONE statement that never replaces a ready state (SUCCESS,
 * FAILURE, REVOKED) with a non-ready one, even when two writers race.
 */
export async function upsertTaskResult(
  dataSource: DataSource,
  values: TaskResultValues,
): Promise<void> {
  const table = qualifiedTable(dataSource, 'task_result');
  const dialect = sqlDialect(dataSource);
  const params = COLUMNS.map((c) =>
    values[c] instanceof Date ? dateParam(dataSource, values[c]) : values[c],
  );
  const columns = COLUMNS.join(', ');
  if (dialect === 'mysql') {
    const keep = `(status IN (${READY}) AND VALUES(status) NOT IN (${READY}))`;
    // NOTE: MySQL applies assignments left to right, so `status` must be assigned last.
    const sets = [...UPDATED, 'status']
      .map((c) => `${c} = IF(${keep}, ${c}, VALUES(${c}))`)
      .join(', ');
    await dataSource.query(
      `INSERT INTO ${table} (${columns}) VALUES (${COLUMNS.map(() => '?').join(', ')}) ON DUPLICATE KEY UPDATE ${sets}`,
      params,
    );
    return;
  }
  const postgres = dialect === 'postgres';
  const placeholders = COLUMNS.map((_, i) => (postgres ? `$${i + 1}` : '?')).join(', ');
  const target = postgres ? `${table} AS cur` : table;
  const current = postgres ? 'cur' : table;
  const sets = [...UPDATED, 'status'].map((c) => `${c} = excluded.${c}`).join(', ');
  await dataSource.query(
    `INSERT INTO ${target} (${columns}) VALUES (${placeholders})
     ON CONFLICT (task_id) DO UPDATE SET ${sets}
     WHERE ${current}.status NOT IN (${READY}) OR excluded.status IN (${READY})`,
    params,
  );
}
