import { DataSource, EntitySchema } from 'typeorm';
import {
  drainOnCommit,
  installCommitHooks,
  TaskOutbox,
  uninstallCommitHooks,
} from 'celeriac/typeorm';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { OUTBOX_MIGRATIONS } from './celeriac-migrations.js';
import { dropMariaDb, openMariaDb, uniqueDatabase } from './typeorm-mariadb.js';
import { dropSchema, openSchemaDataSource, uniqueSchema } from './typeorm-postgres.js';

/** A row a task looks up to prove it ran after the commit. */
export interface Item {
  id: string;
}
export const ItemSchema = new EntitySchema<Item>({
  name: 'Item',
  tableName: 'item',
  columns: { id: { type: String, primary: true, length: 64 } },
});

/** An isolated database (schema, database or in-memory file) with the `item` table. */
export interface TestDatabase {
  readonly driver: DriverName;
  readonly dataSource: DataSource;
  /** False for sql.js: one connection, so no concurrent transactions. */
  readonly concurrent: boolean;
  dispose(): Promise<void>;
}

export type DriverName = 'postgres' | 'mariadb' | 'sqljs';
export const DRIVERS: readonly DriverName[] = ['postgres', 'mariadb', 'sqljs'];

/**
 * Open a fresh database of `driver` with the Item entity (plus `entities`), synchronized; with
 * `TaskOutbox` among them, its table made by the migrations, as users do.
 */
export async function openTestDatabase(
  driver: DriverName,
  entities: Array<EntitySchema | (new () => object)> = [],
): Promise<TestDatabase> {
  const all = [ItemSchema, ...entities];
  const migrations = entities.includes(TaskOutbox) ? OUTBOX_MIGRATIONS : [];
  if (driver !== 'sqljs') {
    const { dataSource, drop } = await openServerDatabase(driver, all, migrations);
    await dataSource.synchronize();
    await dataSource.runMigrations();
    return {
      driver,
      dataSource,
      concurrent: true,
      dispose: async () => {
        await dataSource.destroy();
        await drop();
      },
    };
  }
  const dataSource = new DataSource({
    type: 'sqljs',
    entities: all,
    migrations,
    synchronize: true,
    migrationsRun: true,
  });
  await dataSource.initialize();
  return { driver, dataSource, concurrent: false, dispose: () => dataSource.destroy() };
}

/**
 * Registers the describe block's hooks: a fresh database of `driver` (as openTestDatabase) with
 * Celeriac's commit hooks installed, as `onCommit()` without a module needs; the callbacks
 * drained after each test; the hooks removed and the database dropped at the end. Returns the
 * database, whose fields are read once beforeAll has run.
 */
export function useCommitHooksDatabase(
  driver: DriverName,
  entities: Array<EntitySchema | (new () => object)> = [],
): TestDatabase {
  let db: TestDatabase | undefined;
  const opened = (): TestDatabase => {
    if (!db) throw new Error('The test database is not open yet (used before beforeAll).');
    return db;
  };
  beforeAll(async () => {
    db = await openTestDatabase(driver, entities);
    installCommitHooks(db.dataSource);
  });
  afterEach(() => drainOnCommit());
  afterAll(async () => {
    if (!db) return;
    uninstallCommitHooks(db.dataSource);
    await db.dispose();
  });
  return {
    driver,
    get dataSource() {
      return opened().dataSource;
    },
    get concurrent() {
      return opened().concurrent;
    },
    dispose: () => opened().dispose(),
  };
}

/** Whether the `item` row `id` exists (committed, as `dataSource` sees it). */
export async function itemExists(dataSource: DataSource, id: string): Promise<boolean> {
  return (await dataSource.getRepository(ItemSchema).findOneBy({ id })) !== null;
}

/** A fresh PostgreSQL schema or MariaDB database, and how to drop it. */
async function openServerDatabase(
  driver: 'postgres' | 'mariadb',
  entities: Array<EntitySchema | (new () => object)>,
  migrations: Array<new () => object>,
): Promise<{ dataSource: DataSource; drop: () => Promise<void> }> {
  if (driver === 'postgres') {
    const schema = uniqueSchema('tx');
    const dataSource = await openSchemaDataSource(schema, { entities, migrations, schema });
    return { dataSource, drop: () => dropSchema(schema) };
  }
  const database = uniqueDatabase('tx');
  const dataSource = await openMariaDb(database, { entities, migrations });
  return { dataSource, drop: () => dropMariaDb(database) };
}
