import { OutboxTableMissingError } from '../../errors/outbox-table-missing.error.js';
import { isMissingTableError } from '../../transports/typeorm/sql-dialect.js';

/**
 * The `OutboxTableMissingError` naming the migration to run when `error` says the `task_outbox`
 * table, or a column a later migration adds, does not exist; undefined for any other error.
 */
export function outboxSchemaError(error: unknown): OutboxTableMissingError | undefined {
  if (isMissingTableError(error)) return new OutboxTableMissingError('table', { cause: error });
  const text = String((error as { message?: unknown } | null)?.message ?? error);
  if (!/column/i.test(text)) return undefined;
  if (/\btrace_context\b/.test(text))
    return new OutboxTableMissingError('column', { cause: error });
  if (/\bseq\b/.test(text)) return new OutboxTableMissingError('sequence', { cause: error });
  return undefined;
}
