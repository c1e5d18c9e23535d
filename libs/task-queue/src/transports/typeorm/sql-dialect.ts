import type { DataSource, QueryRunner } from 'typeorm';

import type { SqlDialect } from './sql-dialect.type.js';

export type { SqlDialect };

/** The dialect of a DataSource's driver. */
export function sqlDialect(source: DataSource | QueryRunner): SqlDialect {
  const dataSource = 'connection' in source ? source.connection : source;
  switch (dataSource.options.type) {
    case 'postgres':
    case 'cockroachdb':
      return 'postgres';
    case 'mysql':
    case 'mariadb':
    case 'aurora-mysql':
      return 'mysql';
    case 'better-sqlite3':
    case 'sqljs':
    case 'capacitor':
    case 'expo':
    case 'react-native':
    case 'nativescript':
    case 'cordova':
      return 'sqlite';
    default:
      return 'other';
  }
}

/** Quote an identifier for the DataSource's driver, schema-qualified when a schema is set. */
export function qualifiedTable(dataSource: DataSource, table: string): string {
  const schema = (dataSource.options as { schema?: string }).schema;
  const escape = (name: string): string => dataSource.driver.escape(name);
  return schema ? `${escape(schema)}.${escape(table)}` : escape(table);
}

/**
 * A Date as a raw-query parameter: SQLite drivers store dates as UTC text
 * (`YYYY-MM-DD HH:MM:SS.SSS`, what TypeORM writes for `datetime` columns); MySQL/MariaDB get
 * `utcDate()`; others take Dates.
 */
export function dateParam(dataSource: DataSource, date: Date): Date | string {
  const dialect = sqlDialect(dataSource);
  if (dialect === 'sqlite') return date.toISOString().replace('T', ' ').replace('Z', '');
  return dialect === 'mysql' ? utcDate(dataSource, date) : date;
}

/**
 * The Date to hand to TypeORM for a DATETIME column or comparison so that MySQL/MariaDB store the
 * instant's UTC wall-clock time, whatever the process's time zone. NOTE: DATETIME has no zone,
 * and mysql2 writes (and reads) Dates in its `timezone` option, the process's local zone by
 * default; two processes in different zones would disagree by their offset. Identity on other
 * drivers (PostgreSQL uses timestamptz, SQLite UTC text). Undo on read with `instantOf()`.
 */
export function utcDate(dataSource: DataSource, date: Date): Date {
  if (sqlDialect(dataSource) !== 'mysql') return date;
  const offset = fixedOffsetMinutes(dataSource);
  if (offset !== undefined) return new Date(date.getTime() - offset * 60_000);
  // Local zone: a Date whose local wall-clock reads the UTC one.
  return new Date(
    date.getUTCFullYear(),
    date.getUTCMonth(),
    date.getUTCDate(),
    date.getUTCHours(),
    date.getUTCMinutes(),
    date.getUTCSeconds(),
    date.getUTCMilliseconds(),
  );
}

/** The instant a DATETIME value read by TypeORM stands for (inverse of `utcDate()`). */
export function instantOf(dataSource: DataSource, value: Date): Date {
  if (sqlDialect(dataSource) !== 'mysql') return value;
  const offset = fixedOffsetMinutes(dataSource);
  if (offset !== undefined) return new Date(value.getTime() + offset * 60_000);
  return new Date(
    Date.UTC(
      value.getFullYear(),
      value.getMonth(),
      value.getDate(),
      value.getHours(),
      value.getMinutes(),
      value.getSeconds(),
      value.getMilliseconds(),
    ),
  );
}

/** mysql2's `timezone` as minutes east of UTC ('Z', '+HH:MM'), or undefined for 'local'. */
function fixedOffsetMinutes(dataSource: DataSource): number | undefined {
  const zone = (dataSource.options as { timezone?: string }).timezone ?? 'local';
  if (zone === 'Z' || zone === 'utc' || zone === 'UTC') return 0;
  const match = /^([+-])(\d{2}):?(\d{2})$/.exec(zone);
  if (!match) return undefined;
  const minutes = Number(match[2]) * 60 + Number(match[3]);
  return match[1] === '-' ? -minutes : minutes;
}

/** True when the error says the table does not exist (PostgreSQL, MySQL/MariaDB, SQLite). */
export function isMissingTableError(error: unknown): boolean {
  const e = error as {
    code?: unknown;
    errno?: unknown;
    driverError?: { code?: unknown; errno?: unknown };
    message?: unknown;
  };
  const code = e?.driverError?.code ?? e?.code;
  const errno = e?.driverError?.errno ?? e?.errno;
  return (
    code === '42P01' ||
    code === 'ER_NO_SUCH_TABLE' ||
    errno === 1146 ||
    /no such table/i.test(String(e?.message))
  );
}
