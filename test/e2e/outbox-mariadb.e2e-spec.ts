import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe } from 'vitest';
import { TypeOrmResultBackend } from 'celeriac/typeorm';
import { describeResultBackendConformance } from 'celeriac/conformance';
import { outboxScenarios } from '../support/outbox-scenarios.js';
import { dropMariaDb, openMigratedMariaDb, uniqueDatabase } from '../support/typeorm-mariadb.js';

/**
 * The outbox and the database result backend on MariaDB (10.6+: `FOR UPDATE SKIP LOCKED`),
 * migrations included. One database per file, dropped afterwards.
 */
const database = uniqueDatabase('outbox');
let dataSource: DataSource;

beforeAll(async () => {
  dataSource = await openMigratedMariaDb(database);
});
afterAll(async () => {
  await dataSource?.destroy();
  await dropMariaDb(database);
});

describe('outbox on MariaDB (SKIP LOCKED)', () => outboxScenarios(() => dataSource));

describeResultBackendConformance('typeorm (MariaDB)', {
  create: () => new TypeOrmResultBackend(dataSource, { pollInterval: 50, cleanupInterval: 0 }),
});
