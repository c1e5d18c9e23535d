import { afterAll, beforeAll } from 'vitest';
import type { DataSource } from 'typeorm';
import { CreateTaskResult1767225600001 } from '../../libs/task-queue/src/backends/typeorm/create-task-result.migration.js';
import { TaskGroupResult } from '../../libs/task-queue/src/backends/typeorm/task-group-result.entity.js';
import { TaskResult } from '../../libs/task-queue/src/backends/typeorm/task-result.entity.js';
import { TypeOrmResultBackend } from '../../libs/task-queue/src/backends/typeorm/typeorm.result-backend.js';
import { describeResultBackendConformance } from '../../libs/task-queue/src/testing/conformance/result-backend.conformance.js';
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
