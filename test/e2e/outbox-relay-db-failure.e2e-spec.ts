import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataSource, EntitySubscriberInterface } from 'typeorm';
import type { Broker, PublishOptions, TaskMessage } from 'celeriac';
import { TaskOutbox } from 'celeriac/typeorm';
import { OutboxRelay } from '../../libs/task-queue/src/transaction/outbox/outbox.relay.js';
import { openOutboxDataSource } from '../support/outbox-postgres.js';
import { dropSchema, openSchemaDataSource, uniqueSchema } from '../support/typeorm-postgres.js';

// The database fails in the middle of a relay round (here: the outbox table disappears after a
// publish, as a connection cut by a PostgreSQL restart fails it). The rows the relay had claimed
// stay leased to it; once the database answers again, the relay finishes them at once (the
// published ones are deleted, not sent again) instead of waiting out its lease.

const schema = uniqueSchema('relaydb');
let dataSource: DataSource;
let admin: DataSource;

beforeAll(async () => {
  dataSource = await openOutboxDataSource(schema);
  admin = await openSchemaDataSource(schema);
});

afterAll(async () => {
  await admin?.destroy();
  await dataSource?.destroy();
  await dropSchema(schema);
});

async function insertRows(count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, () => randomUUID());
  const past = new Date(Date.now() - 60_000);
  for (const [i, id] of ids.entries()) {
    await dataSource.getRepository(TaskOutbox).insert({
      id,
      queue: 'q',
      taskName: 'relay.db',
      priority: null,
      notBefore: null,
      message: JSON.stringify({
        headers: { id, task: 'relay.db' },
        properties: {},
        body: '[]',
        contentType: 'application/json',
        contentEncoding: 'utf-8',
      }),
      createdAt: new Date(past.getTime() + i),
      relayAfter: past,
      attempts: 0,
      lastError: null,
      lockedBy: null,
      lockedUntil: null,
    });
  }
  return ids;
}

describe('outbox relay: database failure in the middle of a round', () => {
  it('finishes the claimed rows as soon as the database is back, each published once', async () => {
    const ids = await insertRows(5);
    const delivered: string[] = [];
    const broker = {
      publish: async (message: TaskMessage, _options: PublishOptions) => {
        delivered.push(message.headers.id);
        // After the second publish, the outbox is gone until the test brings it back.
        if (delivered.length === 2) await admin.query('ALTER TABLE task_outbox RENAME TO gone');
      },
    } as unknown as Broker;
    // A lease far longer than the test: only the relay's own recovery can finish the rows.
    const relay = new OutboxRelay(dataSource, broker, { leaseMs: 600_000, listen: false });

    // Publishing needs no database: the round goes on, and fails at its delete.
    await expect(relay.relayOnce()).rejects.toThrow(/task_outbox/);
    expect(delivered).toEqual(ids);
    await admin.query('ALTER TABLE gone RENAME TO task_outbox');

    await relay.relayOnce();
    expect(await dataSource.getRepository(TaskOutbox).count()).toBe(0);
    expect(delivered.sort()).toEqual([...ids].sort());
  });

  it('the claim was answered but the round failed before reading the rows: they are released once the database is back', async () => {
    const ids = await insertRows(5);
    const delivered: string[] = [];
    const broker = {
      publish: async (message: TaskMessage, _options: PublishOptions) => {
        delivered.push(message.headers.id);
      },
    } as unknown as Broker;
    // Right after the claim's UPDATE, the outbox is gone: the relay never reads what it claimed.
    let cut = false;
    const cutter: EntitySubscriberInterface = {
      afterQuery: async (event) => {
        if (cut || !/RETURNING id/.test(event.query)) return;
        cut = true;
        await admin.query('ALTER TABLE task_outbox RENAME TO gone');
      },
    };
    dataSource.subscribers.push(cutter);
    const relay = new OutboxRelay(dataSource, broker, { leaseMs: 600_000, listen: false });
    try {
      await expect(relay.relayOnce()).rejects.toThrow(/task_outbox/);
    } finally {
      dataSource.subscribers.splice(dataSource.subscribers.indexOf(cutter), 1);
      await admin.query('ALTER TABLE gone RENAME TO task_outbox');
    }
    expect(cut).toBe(true);
    expect(delivered).toEqual([]);

    // Before: the five rows stayed leased to this relay for leaseMs (here 10 minutes).
    await relay.relayOnce();
    expect(delivered).toEqual(ids);
    expect(await dataSource.getRepository(TaskOutbox).count()).toBe(0);
  });
});
