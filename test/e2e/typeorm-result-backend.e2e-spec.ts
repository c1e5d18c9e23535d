import { afterAll, beforeAll } from 'vitest';
import type { DataSource } from 'typeorm';
import {
  CreateTaskResult1767225600001,
  TaskGroupResult,
  TaskResult,
  TypeOrmResultBackend,
} from 'celeriac/typeorm';
import { describeResultBackendConformance } from 'celeriac/conformance';
import { dropSchema, openSchemaDataSource, uniqueSchema } from '../support/typeorm-postgres.js';

const schema = uniqueSchema('results');
let dataSource: DataSource;

beforeAll(async () => {
  dataSource = await openSchemaDataSource(schema, {
    entities: [TaskResult, TaskGroupResult],
    migrations: [CreateTaskResult1767225600001],
  });
  await dataSource.runMigrations();
});
afterAll(async () => {
  await dataSource?.destroy();
  await dropSchema(schema);
});

// A long poll interval: waiters must be woken by LISTEN/NOTIFY, not by polling.
describeResultBackendConformance('typeorm (PostgreSQL)', {
  create: () => new TypeOrmResultBackend(dataSource, { pollInterval: 60_000 }),
});
