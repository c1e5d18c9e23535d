import { afterAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import {
  AddTaskOutboxSequence1796601600000,
  AddTaskOutboxTraceContext1780272000000,
  CreateTaskOutbox1767225600000,
  TaskOutbox,
} from 'celeriac/typeorm';
import { dropMariaDb, openMariaDb, uniqueDatabase } from '../support/typeorm-mariadb.js';
import {
  dropSchema,
  openSchemaDataSource,
  postgresOptions,
  uniqueSchema,
} from '../support/typeorm-postgres.js';

// The migrations make task_outbox (timestamptz on PostgreSQL, longtext on MariaDB). A
// DataSource with `synchronize: true` (or `migration:generate`) listing the TaskOutbox entity
// must leave that table alone: it used to recreate those columns as timestamp / text, which on
// MariaDB emptied the message of every pending row and on PostgreSQL failed the boot.

const migrations = [
  CreateTaskOutbox1767225600000,
  AddTaskOutboxTraceContext1780272000000,
  AddTaskOutboxSequence1796601600000,
];
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

const drivers = {
  postgres: async (): Promise<{
    migrated: DataSource;
    synchronized: () => Promise<DataSource>;
  }> => {
    const schema = uniqueSchema('outbox_sync');
    cleanups.push(() => dropSchema(schema));
    const migrated = await openSchemaDataSource(schema, { entities: [TaskOutbox], migrations });
    return {
      migrated,
      synchronized: () =>
        new DataSource(
          postgresOptions(schema, { entities: [TaskOutbox], schema, synchronize: true }),
        ).initialize(),
    };
  },
  mariadb: async (): Promise<{ migrated: DataSource; synchronized: () => Promise<DataSource> }> => {
    const database = uniqueDatabase('outbox_sync');
    cleanups.push(() => dropMariaDb(database));
    const migrated = await openMariaDb(database, { entities: [TaskOutbox], migrations });
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
  'task_outbox made by the migrations, then synchronize (%s)',
  (driver) => {
    it('keeps the table and its pending rows as the migrations made them', async () => {
      const { migrated, synchronized } = await drivers[driver]();
      await migrated.runMigrations();
      await pendingRow(migrated);
      const pending = await migrated.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((q) => q.query).filter((q) => /task_outbox/.test(q))).toEqual(
        [],
      );
      await migrated.destroy();

      const synced = await synchronized();
      try {
        const rows = await synced.getRepository(TaskOutbox).find();
        expect(rows.map((row) => [row.id, row.message === big])).toEqual([['pending-1', true]]);
      } finally {
        await synced.destroy();
      }
    });
  },
);
