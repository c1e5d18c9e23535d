import { randomUUID } from 'node:crypto';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { CELERIAC_ENTITIES, CELERIAC_MIGRATIONS } from './celeriac-migrations.js';

/** The loopback MariaDB (root, no password); tests isolate themselves with a database each. */
const BASE = {
  type: 'mariadb',
  host: '127.0.0.1',
  port: 3306,
  username: 'root',
  password: '',
} as const;

/** A database name no other test file uses. */
export function uniqueDatabase(prefix: string): string {
  return `celeriac_${prefix}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
}

async function admin<T>(run: (ds: DataSource) => Promise<T>): Promise<T> {
  const ds = new DataSource({ ...BASE, database: 'test' });
  await ds.initialize();
  try {
    return await run(ds);
  } finally {
    await ds.destroy();
  }
}

/**
 * Create `database` (in `charset`, else the server's default character set) and open a
 * DataSource on it with these entities / migrations.
 */
export async function openMariaDb(
  database: string,
  options: Pick<DataSourceOptions, 'entities' | 'migrations'> & {
    poolSize?: number;
    charset?: string;
  },
): Promise<DataSource> {
  const charset = options.charset ? ` CHARACTER SET ${options.charset}` : '';
  await admin((ds) => ds.query(`CREATE DATABASE \`${database}\`${charset}`));
  const ds = new DataSource({
    ...BASE,
    database,
    entities: options.entities,
    migrations: options.migrations,
    poolSize: options.poolSize ?? 10,
  });
  await ds.initialize();
  return ds;
}

/** Create `database` with Celeriac's outbox and result tables, made by their migrations. */
export async function openMigratedMariaDb(database: string): Promise<DataSource> {
  const dataSource = await openMariaDb(database, {
    entities: CELERIAC_ENTITIES,
    migrations: CELERIAC_MIGRATIONS,
  });
  await dataSource.runMigrations();
  return dataSource;
}

/** Drop a database made by openMariaDb. */
export async function dropMariaDb(database: string): Promise<void> {
  await admin((ds) => ds.query(`DROP DATABASE IF EXISTS \`${database}\``));
}
