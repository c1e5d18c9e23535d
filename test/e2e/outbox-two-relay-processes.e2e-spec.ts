import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { TaskOutbox } from 'celeriac/typeorm';
import { OutboxWriter } from '../../libs/task-queue/src/transaction/outbox/outbox.writer.js';
import { message } from '../support/outbox-fixtures.js';
import { openOutboxDataSource } from '../support/outbox-postgres.js';
import { dropSchema, uniqueSchema } from '../support/typeorm-postgres.js';

const schema = uniqueSchema('relays2p');
let dataSource: DataSource;

/** Run one relay in a child `node` process until the outbox is empty. */
function relayProcess(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['test/fixtures/transaction-run-ts.mjs', 'test/fixtures/outbox-relay-process.ts', schema],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`exit ${code}: ${stderr}`)),
    );
  });
}

beforeAll(async () => {
  dataSource = await openOutboxDataSource(schema);
  await dataSource.query('CREATE TABLE published (id text, pid int)');
});
afterAll(async () => {
  await dataSource?.destroy();
  await dropSchema(schema);
});

describe('outbox: two relays in two processes', () => {
  it('publish each of 2,000 rows exactly once', async () => {
    const writer = new OutboxWriter({ graceMs: 0 });
    await dataSource.transaction(async (m) => {
      for (let i = 0; i < 2000; i++) await writer.write(m, message(), { queue: 'q' });
    });
    await Promise.all([relayProcess(), relayProcess()]);
    const [{ rows, ids }] = (await dataSource.query(
      'SELECT count(*)::int AS rows, count(DISTINCT id)::int AS ids FROM published',
    )) as Array<{ rows: number; ids: number }>;
    expect({ rows, ids }).toEqual({ rows: 2000, ids: 2000 });
    expect(await dataSource.getRepository(TaskOutbox).count()).toBe(0);
  }, 120_000);
});
