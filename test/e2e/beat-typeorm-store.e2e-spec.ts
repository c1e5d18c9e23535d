import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import type { DataSource } from 'typeorm';
import {
  BeatLeaseRow,
  BeatPendingRow,
  BeatScheduleRow,
  CreateBeatTables1780358400000,
  TypeOrmScheduleStore,
} from 'celeriac/typeorm';
import { describeScheduleStoreConformance } from 'celeriac/conformance';
import { dropSchema, openSchemaDataSource, uniqueSchema } from '../support/typeorm-postgres.js';

const schema = uniqueSchema('beat');
const channel = `beat_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
let dataSource: DataSource;

beforeAll(async () => {
  dataSource = await openSchemaDataSource(schema, {
    entities: [BeatScheduleRow, BeatPendingRow, BeatLeaseRow],
    migrations: [CreateBeatTables1780358400000],
  });
  await dataSource.runMigrations();
});
afterAll(async () => {
  await dataSource?.destroy();
  await dropSchema(schema);
});

describeScheduleStoreConformance('typeorm (PostgreSQL)', {
  create: () => new TypeOrmScheduleStore(dataSource, { channel }),
});
