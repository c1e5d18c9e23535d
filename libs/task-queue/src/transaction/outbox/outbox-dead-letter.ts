import type { DataSource } from 'typeorm';
import { type SqlDialect, sqlDialect, utcDate } from '../../transports/typeorm/sql-dialect.js';
import { lastErrorText, OUTBOX_DEAD_LETTER } from './outbox.options.js';
import { errorText } from '../../utils/error-text.js';
import { outboxStatement } from './outbox-statement.js';
import { TaskOutbox } from './task-outbox.entity.js';

/** `relay_after` of a dead-lettered row: never due (a year every SQL DATETIME type holds). */
const NEVER = new Date(Date.UTC(9999, 0, 1));

/**
 * Dead-letter a row the broker keeps refusing: it stays in `task_outbox`, with its last error,
 * `locked_by = 'dead-letter'` and `relay_after` in year 9999, so no relay claims it again and
 * the backlog metrics count it apart (`celeriac_outbox_dead_letters`). Only if `owner` still
 * holds it.
 */
export async function deadLetterOutboxRow(
  dataSource: DataSource,
  id: string,
  owner: string,
  error: unknown,
): Promise<void> {
  await outboxStatement(dataSource, (manager) =>
    manager
      .createQueryBuilder()
      .update(TaskOutbox)
      .set({
        lockedBy: OUTBOX_DEAD_LETTER,
        lockedUntil: null,
        relayAfter: utcDate(dataSource, NEVER),
        lastError: lastErrorText(error, sqlDialect(dataSource)),
      })
      .where('id = :id AND locked_by = :owner', { id, owner })
      .execute(),
  );
}

/**
 * What an operator runs to send a dead-lettered row again, or to drop it. On MySQL/MariaDB the
 * times of `task_outbox` are UTC wall-clock DATETIMEs, so "now" is `UTC_TIMESTAMP()`:
 * `CURRENT_TIMESTAMP` is the session's local time, hours in the future east of UTC.
 */
export function outboxDeadLetterAdvice(id: string, dialect: SqlDialect): string {
  const now = dialect === 'mysql' ? 'UTC_TIMESTAMP()' : 'CURRENT_TIMESTAMP';
  return (
    `Fix the cause, then send it again: UPDATE task_outbox SET locked_by = NULL, ` +
    `relay_after = ${now}, attempts = 0 WHERE id = '${id}'; or remove it: ` +
    `DELETE FROM task_outbox WHERE id = '${id}'.`
  );
}

/** The ERROR for a row dead-lettered at once because of its content (`decodeOutboxRow`). */
export function badOutboxRowLine(row: TaskOutbox, error: unknown, dialect: SqlDialect): string {
  const reason = errorText(error);
  return (
    `Outbox row ${row.taskName}[${row.id}] to queue "${row.queue}" dead-lettered: ${reason}, so ` +
    `it is not a task message this relay can publish (written or edited by hand, or cut ` +
    `short?). ${outboxDeadLetterAdvice(row.id, dialect)}`
  );
}

/** The ERROR for a row dead-lettered after `attempts` refusals while the broker answered. */
export function refusedOutboxRowLine(
  row: TaskOutbox,
  failure: unknown,
  dialect: SqlDialect,
): string {
  return (
    `Outbox row ${row.taskName}[${row.id}] to queue "${row.queue}" dead-lettered: the ` +
    `broker refused it ${row.attempts} times while reachable (last: ${String(failure)}). ` +
    `The relay no longer publishes it; it stays in task_outbox with locked_by = ` +
    `'${OUTBOX_DEAD_LETTER}' (metric celeriac_outbox_dead_letters). ` +
    outboxDeadLetterAdvice(row.id, dialect)
  );
}
