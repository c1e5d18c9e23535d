import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { drainOnCommit } from 'celeriac/typeorm';
import { TaskOutbox } from 'celeriac/typeorm';
import { OutboxRelay } from '../../libs/task-queue/src/transaction/outbox/outbox.relay.js';
import { OutboxWriter } from '../../libs/task-queue/src/transaction/outbox/outbox.writer.js';
import { asBroker, message, RecordingBroker } from '../support/outbox-fixtures.js';
import { outboxScenarios } from '../support/outbox-scenarios.js';
import { openOutboxDataSource } from '../support/outbox-postgres.js';
import { dropSchema, uniqueSchema } from '../support/typeorm-postgres.js';

const schema = uniqueSchema('outbox');
let dataSource: DataSource;
const relays: OutboxRelay[] = [];
const count = async (): Promise<number> => dataSource.getRepository(TaskOutbox).count();

beforeAll(async () => {
  dataSource = await openOutboxDataSource(schema);
});
afterEach(async () => {
  for (const relay of relays.splice(0)) await relay.stop();
  await drainOnCommit();
  await dataSource.getRepository(TaskOutbox).clear();
});
afterAll(async () => {
  await dataSource?.destroy();
  await dropSchema(schema);
});

describe('outbox on PostgreSQL: shared scenarios', () => outboxScenarios(() => dataSource));

describe('outbox on PostgreSQL', () => {
  it('aborted transaction (COMMIT became ROLLBACK): nothing published', async () => {
    const broker = new RecordingBroker();
    const writer = new OutboxWriter({ broker: asBroker(broker) });
    await dataSource.transaction(async (m) => {
      await writer.write(m, message(), { queue: 'q' });
      await m.query('SELECT 1/0').catch(() => undefined);
    });
    await drainOnCommit();
    expect(broker.published).toEqual([]);
    expect(await count()).toBe(0);
  });

  it('NOTIFY wakes an idle relay (poll interval 60 s)', async () => {
    const broker = new RecordingBroker();
    const relay = new OutboxRelay(dataSource, asBroker(broker), { pollIntervalMs: 60_000 });
    relays.push(relay);
    relay.start();
    await new Promise((r) => setTimeout(r, 200));
    const writer = new OutboxWriter({ graceMs: 0 });
    const msg = message();
    await dataSource.transaction((m) => writer.write(m, msg, { queue: 'q' }));
    await expect.poll(() => broker.published, { timeout: 5_000 }).toEqual([msg.headers.id]);
  });

  it('a lease left by a dead claimer is retaken after it expires', async () => {
    const writer = new OutboxWriter({ graceMs: 0 });
    const msg = message();
    await dataSource.transaction((m) => writer.write(m, msg, { queue: 'q' }));
    await dataSource
      .getRepository(TaskOutbox)
      .update(
        { id: msg.headers.id },
        { lockedBy: 'dead', lockedUntil: new Date(Date.now() + 300) },
      );
    const broker = new RecordingBroker();
    const relay = new OutboxRelay(dataSource, asBroker(broker), { pollIntervalMs: 100 });
    relays.push(relay);
    relay.start();
    await expect.poll(() => broker.published, { timeout: 5_000 }).toEqual([msg.headers.id]);
  });
});
