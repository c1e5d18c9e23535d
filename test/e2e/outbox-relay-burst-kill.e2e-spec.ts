import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { OutboxRelay } from '../../libs/task-queue/src/transaction/outbox/outbox.relay.js';
import { asBroker, RecordingBroker } from '../support/outbox-fixtures.js';
import { commitOutboxRow, openOutboxDataSource } from '../support/outbox-postgres.js';
import { dropSchema, postgresOptions, uniqueSchema } from '../support/typeorm-postgres.js';

// Every PostgreSQL connection of the relay's DataSource is killed at once (an administrator's
// pg_terminate_backend, a failover), five times while the relay works. Each killed client
// reports 57P01 (admin shutdown) as an 'error' event, whether it is idle in the pool, checked
// out by a query runner, or LISTENing: none may become an uncaught exception, and the relay
// relays again after each burst.

const schema = uniqueSchema('burstkill');
const appName = `burst_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
const channel = `outbox_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
let dataSource: DataSource;
let admin: DataSource;

beforeAll(async () => {
  const options = postgresOptions(schema);
  dataSource = await openOutboxDataSource(schema, {
    extra: { ...(options as { extra: object }).extra, application_name: appName },
  });
  admin = new DataSource(postgresOptions(schema));
  await admin.initialize();
});
afterAll(async () => {
  await dataSource?.destroy();
  await admin?.destroy();
  await dropSchema(schema);
});

const commitRow = (): Promise<string> => commitOutboxRow(dataSource, 'burst.kill', channel);

/** Commit a row, retrying while the burst's kills fail the attempt. */
async function commitSoon(): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await commitRow();
    } catch (error) {
      if (attempt >= 50) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

async function until(probe: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Terminate every backend of the relay's DataSource; how many were killed. */
async function killAll(): Promise<number> {
  const rows: { killed: boolean }[] = await admin.query(
    `SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity
      WHERE application_name = $1 AND pid <> pg_backend_pid()`,
    [appName],
  );
  return rows.filter((r) => r.killed).length;
}

describe('outbox relay: every connection killed, in bursts', () => {
  it('no uncaught exception or unhandled rejection across 5 bursts; it relays after each', async () => {
    const escaped: unknown[] = [];
    const onEscape = (error: unknown): void => void escaped.push(error);
    process.on('uncaughtException', onEscape);
    process.on('unhandledRejection', onEscape);
    const broker = new RecordingBroker();
    const relay = new OutboxRelay(dataSource, asBroker(broker), { channel, pollIntervalMs: 200 });
    relay.start();
    try {
      let killed = 0;
      for (let burst = 0; burst < 5; burst++) {
        const before = await commitSoon();
        await until(() => broker.published.includes(before), 30_000);
        // Connections busy in a transaction, idle in the pool, and LISTENing, all at once.
        // (This test's own transaction fails too: its rejection is handled here, at once.)
        const busy = dataSource
          .transaction(async (manager) => {
            await manager.query('SELECT pg_sleep(0.5)');
          })
          .catch(() => undefined);
        killed += await killAll();
        await busy;
        killed += await killAll();
      }
      expect(killed).toBeGreaterThan(5);
      const after = await commitSoon();
      await until(() => broker.published.includes(after), 30_000);
    } finally {
      await relay.stop();
      process.off('uncaughtException', onEscape);
      process.off('unhandledRejection', onEscape);
    }
    expect(escaped.map((e) => (e instanceof Error ? e.stack : String(e)))).toEqual([]);
  });
});
