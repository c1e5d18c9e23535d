import { afterAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { TaskOutbox, TaskResult } from 'celeriac/typeorm';
import { CELERIAC_ENTITIES, CELERIAC_MIGRATIONS } from '../support/celeriac-migrations.js';
import { dropMariaDb, openMariaDb, uniqueDatabase } from '../support/typeorm-mariadb.js';
import {
  dropSchema,
  openSchemaDataSource,
  postgresOptions,
  uniqueSchema,
} from '../support/typeorm-postgres.js';

// The migrations make task_outbox and task_result (timestamptz on PostgreSQL, longtext on
// MariaDB). A DataSource with `synchronize: true` (or `migration:generate`) listing their
// entities must leave those tables alone: it used to recreate those columns as timestamp / text, which on
// MariaDB emptied the message of every pending row and on PostgreSQL failed the boot.

const migrations = CELERIAC_MIGRATIONS;
const entities = CELERIAC_ENTITIES;
const big = JSON.stringify({ blob: 'x'.repeat(100_000) });

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function pendingRow(dataSource: DataSource): Promise<void> {
  const now = new Date();
  await dataSource.getRepository(TaskOutbox).insert({
    id: 'pending-1',
    queue: 'q',
    taskName: 'demo.add',
    priority: null,
    notBefore: null,
    message: big,
    createdAt: now,
    seq: '1',
    relayAfter: now,
    attempts: 0,
    lastError: null,
    lockedBy: null,
    lockedUntil: null,
    traceContext: null,
  });
}

async function storedResult(dataSource: DataSource): Promise<void> {
  const now = new Date();
  await dataSource.getRepository(TaskResult).insert({
    taskId: 'done-1',
    status: 'SUCCESS',
    result: big,
    dateCreated: now,
    expiresAt: new Date(now.getTime() + 60_000),
  });
}

const drivers = {
  postgres: async (): Promise<{
    migrated: DataSource;
    synchronized: () => Promise<DataSource>;
  }> => {
    const schema = uniqueSchema('outbox_sync');
    cleanups.push(() => dropSchema(schema));
    const migrated = await openSchemaDataSource(schema, { entities, migrations });
    return {
      migrated,
      synchronized: () =>
        new DataSource(
          postgresOptions(schema, { entities, schema, synchronize: true }),
        ).initialize(),
    };
  },
  mariadb: async (): Promise<{ migrated: DataSource; synchronized: () => Promise<DataSource> }> => {
    const database = uniqueDatabase('outbox_sync');
    cleanups.push(() => dropMariaDb(database));
    const migrated = await openMariaDb(database, { entities, migrations });
    return {
      migrated,
      synchronized: async () => {
        const ds = new DataSource({
          ...migrated.options,
          synchronize: true,
        } as ConstructorParameters<typeof DataSource>[0]);
        return ds.initialize();
      },
    };
  },
};

describe.each(['postgres', 'mariadb'] as const)(
  'task_outbox and task_result made by the migrations, then synchronize (%s)',
  (driver) => {
    it('keeps the table and its pending rows as the migrations made them', async () => {
      const { migrated, synchronized } = await drivers[driver]();
      await migrated.runMigrations();
      await pendingRow(migrated);
      await storedResult(migrated);
      const pending = await migrated.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((q) => q.query)).toEqual([]);
      await migrated.destroy();

      const synced = await synchronized();
      try {
        const rows = await synced.getRepository(TaskOutbox).find();
        expect(rows.map((row) => [row.id, row.message === big])).toEqual([['pending-1', true]]);
        const results = await synced.getRepository(TaskResult).find();
        expect(results.map((row) => [row.taskId, row.result === big])).toEqual([['done-1', true]]);
      } finally {
        await synced.destroy();
      }
    });
  },
);
