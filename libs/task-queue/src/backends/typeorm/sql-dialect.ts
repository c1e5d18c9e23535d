import type { DataSource, QueryRunner } from 'typeorm';

/** The SQL families Celeriac writes dialect-specific statements for. */
export type SqlDialect = 'postgres' | 'mysql' | 'sqlite' | 'other';

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
 * (`YYYY-MM-DD HH:MM:SS.SSS`, what TypeORM writes for `datetime` columns); others take Dates.
 */
export function dateParam(dataSource: DataSource, date: Date): Date | string {
  return sqlDialect(dataSource) === 'sqlite'
    ? date.toISOString().replace('T', ' ').replace('Z', '')
    : date;
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
