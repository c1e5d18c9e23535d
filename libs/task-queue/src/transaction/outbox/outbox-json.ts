import type { SqlDialect } from '../../transports/typeorm/sql-dialect.js';

/**
 * The JSON text an outbox row stores. On MySQL/MariaDB every character beyond ASCII is written as
 * a `\uXXXX` escape (the same JSON once parsed): `task_outbox` takes the database's default
 * character set, which is `latin1` on MariaDB before 11.6 and MySQL 5.7 unless configured, or
 * `utf8mb3`, and there a task whose arguments hold an emoji or a non-Latin script was refused
 * ("Incorrect string value"), or, without strict SQL mode, stored with `?` in their place.
 */
export function outboxJson(value: unknown, dialect: SqlDialect): string {
  const json = JSON.stringify(value);
  if (dialect !== 'mysql') return json;
  return json.replace(NON_ASCII, escapeChar);
}

const NON_ASCII = /[\u0080-\uffff]/g;

function escapeChar(char: string): string {
  return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
}
