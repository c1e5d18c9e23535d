import { randomUUID } from 'node:crypto';
import type { DataSource, DataSourceOptions } from 'typeorm';
import { TaskOutbox } from 'celeriac/typeorm';
import { OUTBOX_MIGRATIONS } from './celeriac-migrations.js';
import { openSchemaDataSource } from './typeorm-postgres.js';

/** A DataSource on `schema` with the outbox table made by its migrations, as an app has it. */
export async function openOutboxDataSource(
  schema: string,
  extra: Partial<DataSourceOptions> = {},
): Promise<DataSource> {
  const dataSource = await openSchemaDataSource(schema, {
    ...extra,
    entities: [TaskOutbox],
    migrations: OUTBOX_MIGRATIONS,
  } as Partial<DataSourceOptions>);
  await dataSource.runMigrations();
  return dataSource;
}

/**
 * Commit one outbox row of task `taskName`, due since a minute, as `delayOnCommit()` writes it,
 * and NOTIFY `channel` in the same transaction; resolves its task id.
 */
export async function commitOutboxRow(
  dataSource: DataSource,
  taskName: string,
  channel: string,
): Promise<string> {
  const id = randomUUID();
  const past = new Date(Date.now() - 60_000);
  await dataSource.transaction(async (manager) => {
    await manager.getRepository(TaskOutbox).insert({
      id,
      queue: 'q',
      taskName,
      priority: null,
      notBefore: null,
      message: JSON.stringify({
        headers: { id, task: taskName },
        properties: {},
        body: '[]',
        contentType: 'application/json',
        contentEncoding: 'utf-8',
      }),
      createdAt: past,
      relayAfter: past,
      attempts: 0,
      lastError: null,
      lockedBy: null,
      lockedUntil: null,
    });
    await manager.query('SELECT pg_notify($1, $2)', [channel, id]);
  });
  return id;
}
