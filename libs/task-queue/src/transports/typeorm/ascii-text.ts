import type { SqlDialect } from './sql-dialect.type.js';

const NON_ASCII = /[\u0080-\uffff]/g;

function escapeChar(char: string): string {
  return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/**
 * `text` with every character beyond ASCII written as a `\uXXXX` escape on MySQL/MariaDB (as is
 * elsewhere). Celeriac's tables there take the database's default character set, which is
 * `latin1` on MariaDB before 11.6 and MySQL 5.7 unless configured, or `utf8mb3`: an emoji or a
 * non-Latin script was refused ("Incorrect string value"), or stored as `?` without strict SQL
 * mode. For JSON text the escapes are lossless (the same value once parsed).
 */
export function storableText(text: string, dialect: SqlDialect): string {
  return dialect === 'mysql' ? text.replace(NON_ASCII, escapeChar) : text;
}
