import { storableText } from '../../transports/typeorm/ascii-text.js';
import type { SqlDialect } from '../../transports/typeorm/sql-dialect.type.js';

/**
 * The JSON text an outbox row stores: on MySQL/MariaDB with every character beyond ASCII escaped
 * (see `storableText`), the same JSON once parsed.
 */
export function outboxJson(value: unknown, dialect: SqlDialect): string {
  return storableText(JSON.stringify(value), dialect);
}
