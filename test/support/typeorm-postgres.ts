import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { DataSource, type DataSourceOptions } from 'typeorm';

/**
 * The `pg` driver module. NOTE: Vitest starts workers with `--conditions import` (from the
 * root config's resolve conditions), so a plain `require('pg')` resolves `pg-pool` to its ESM
 * build and fails ("Class extends value [object Module]"). Load the CommonJS files by path and
 * alias the ESM entry to them in the require cache, then hand the module to TypeORM.
 */
function loadPg(): unknown {
  const require = createRequire(import.meta.url);
  const poolCjs = require.resolve('pg-pool').replace(/esm[/\\]index\.mjs$/, 'index.js');
  require(poolCjs);
  const poolEsm = require.resolve('pg-pool');
  if (poolEsm !== poolCjs) require.cache[poolEsm] = require.cache[poolCjs];
  const pgCjs = require.resolve('pg').replace(/esm[/\\]index\.mjs$/, 'lib/index.js');
  return require(pgCjs);
}

const base = {
  type: 'postgres',
  host: '127.0.0.1',
  port: 5432,
  username: 'postgres',
  database: 'test',
  driver: loadPg(),
} as const;

/** A fresh schema name for one test file. */
export function uniqueSchema(prefix: string): string {
  return `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
}

/** Options of a DataSource whose every connection uses `schema` (search_path), so raw SQL lands there too. */
export function postgresOptions(
  schema: string,
  extra: Partial<DataSourceOptions> = {},
): DataSourceOptions {
  return {
    ...base,
    extra: { options: `-c search_path=${schema}`, max: 10 },
    ...extra,
  } as DataSourceOptions;
}

/** Create `schema` and open a DataSource on it. */
export async function openSchemaDataSource(
  schema: string,
  extra: Partial<DataSourceOptions> = {},
): Promise<DataSource> {
  const admin = new DataSource({ ...base });
  await admin.initialize();
  await admin.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  await admin.destroy();
  const dataSource = new DataSource(postgresOptions(schema, extra));
  await dataSource.initialize();
  return dataSource;
}

/** Drop `schema` with everything in it. */
export async function dropSchema(schema: string): Promise<void> {
  const admin = new DataSource({ ...base });
  await admin.initialize();
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.destroy();
}
