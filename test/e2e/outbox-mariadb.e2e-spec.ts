import type { DataSource } from 'typeorm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CreateTaskResult1767225600001 } from '../../libs/task-queue/src/backends/typeorm/create-task-result.migration.js';
import { TaskGroupResult } from '../../libs/task-queue/src/backends/typeorm/task-group-result.entity.js';
import { TaskResult } from '../../libs/task-queue/src/backends/typeorm/task-result.entity.js';
import { TypeOrmResultBackend } from '../../libs/task-queue/src/backends/typeorm/typeorm.result-backend.js';
import { describeResultBackendConformance } from '../../libs/task-queue/src/testing/conformance/result-backend.conformance.js';
import { drainOnCommit } from '../../libs/task-queue/src/transaction/commit-hooks.runner.js';
import { CreateTaskOutbox1767225600000 } from '../../libs/task-queue/src/transaction/outbox/create-task-outbox.migration.js';
import { OutboxRelay } from '../../libs/task-queue/src/transaction/outbox/outbox.relay.js';
import { OutboxWriter } from '../../libs/task-queue/src/transaction/outbox/outbox.writer.js';
import { TaskOutbox } from '../../libs/task-queue/src/transaction/outbox/task-outbox.entity.js';
import { asBroker, message, RecordingBroker } from '../support/outbox-fixtures.js';
import { dropMariaDb, openMariaDb, uniqueDatabase } from '../support/typeorm-mariadb.js';

/**
 * The outbox and the database result backend on MariaDB (10.6+: `FOR UPDATE SKIP LOCKED`),
 * migrations included. One database per file, dropped afterwards.
 */
const database = uniqueDatabase('outbox');
let dataSource: DataSource;
const relays: OutboxRelay[] = [];
const count = (): Promise<number> => dataSource.getRepository(TaskOutbox).count();

beforeAll(async () => {
  dataSource = await openMariaDb(database, {
    entities: [TaskOutbox, TaskResult, TaskGroupResult],
    migrations: [CreateTaskOutbox1767225600000, CreateTaskResult1767225600001],
  });
  await dataSource.runMigrations();
});
afterEach(async () => {
  for (const relay of relays.splice(0)) await relay.stop();
  await drainOnCommit();
  await dataSource.getRepository(TaskOutbox).clear();
});
afterAll(async () => {
  await dataSource?.destroy();
  await dropMariaDb(database);
});

describe('outbox on MariaDB', () => {
  it('fast path publishes after commit and deletes the row; a rollback publishes nothing', async () => {
    const broker = new RecordingBroker();
    const writer = new OutboxWriter({ broker: asBroker(broker) });
    const committed = message();
    await dataSource.transaction((m) => writer.write(m, committed, { queue: 'q' }));
    await dataSource
      .transaction(async (m) => {
        await writer.write(m, message(), { queue: 'q' });
        throw new Error('rollback');
      })
      .catch(() => undefined);
    await drainOnCommit();
    expect(broker.published).toEqual([committed.headers.id]);
    expect(await count()).toBe(0);
  });

  it('broker down at commit, back later: the relay publishes it', async () => {
    const broker = new RecordingBroker();
    broker.down = true;
    const writer = new OutboxWriter({ broker: asBroker(broker), graceMs: 0 });
    const msg = message();
    await dataSource.transaction((m) => writer.write(m, msg, { queue: 'q' }));
    await drainOnCommit();
    expect(await count()).toBe(1);
    broker.down = false;
    const relay = new OutboxRelay(dataSource, asBroker(broker), { pollIntervalMs: 100 });
    relays.push(relay);
    relay.start();
    await expect.poll(() => broker.published, { timeout: 10_000 }).toEqual([msg.headers.id]);
    await expect.poll(count).toBe(0);
  });

  it('two relays over 1,000 rows publish each id exactly once (SKIP LOCKED)', async () => {
    const writer = new OutboxWriter({ graceMs: 0 });
    const ids: string[] = [];
    await dataSource.transaction(async (m) => {
      for (let i = 0; i < 1000; i++) {
        const msg = message();
        ids.push(msg.headers.id);
        await writer.write(m, msg, { queue: 'q' });
      }
    });
    const broker = new RecordingBroker();
    const a = new OutboxRelay(dataSource, asBroker(broker), { batchSize: 50, pollIntervalMs: 100 });
    const b = new OutboxRelay(dataSource, asBroker(broker), { batchSize: 50, pollIntervalMs: 100 });
    relays.push(a, b);
    a.start();
    b.start();
    await expect.poll(() => broker.published.length, { timeout: 30_000 }).toBe(1000);
    expect(new Set(broker.published).size).toBe(1000);
    expect([...broker.published].sort()).toEqual([...ids].sort());
    await expect.poll(count).toBe(0);
  });
});

describeResultBackendConformance('typeorm (MariaDB)', {
  create: () => new TypeOrmResultBackend(dataSource, { pollInterval: 50, cleanupInterval: 0 }),
});
