import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import type { Broker, PublishOptions, TaskMessage } from 'celeriac';
import { TaskOutbox } from 'celeriac/typeorm';
import { OutboxRelay } from '../../libs/task-queue/src/transaction/outbox/outbox.relay.js';
import { openOutboxDataSource } from '../support/outbox-postgres.js';
import { dropSchema, uniqueSchema } from '../support/typeorm-postgres.js';

const schema = uniqueSchema('crash');
let dataSource: DataSource;

/** Run the crash fixture in a child `node` process; resolves its exit signal. */
function crashChild(mode: 'after-commit' | 'outbox', id: string): Promise<NodeJS.Signals | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        'test/fixtures/transaction-run-ts.mjs',
        'test/fixtures/transaction-crash.ts',
        schema,
        mode,
        id,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      signal ? resolve(signal) : reject(new Error(`child exited ${code}: ${stderr}`)),
    );
  });
}

beforeAll(async () => {
  dataSource = await openOutboxDataSource(schema);
  await dataSource.query('CREATE TABLE business (id text PRIMARY KEY)');
  await dataSource.query('CREATE TABLE published (id text)');
});
afterAll(async () => {
  await dataSource?.destroy();
  await dropSchema(schema);
});

describe('process killed between commit and publish', () => {
  it('after-commit mode loses the task (documented limitation)', async () => {
    const id = randomUUID();
    expect(await crashChild('after-commit', id)).toBe('SIGKILL');
    expect(await dataSource.query('SELECT count(*)::int AS n FROM business')).toEqual([{ n: 1 }]);
    expect(await dataSource.query('SELECT id FROM published WHERE id = $1', [id])).toEqual([]);
  });

  it('outbox mode: the relay delivers it exactly once', async () => {
    const id = randomUUID();
    expect(await crashChild('outbox', id)).toBe('SIGKILL');
    expect(await dataSource.query('SELECT id FROM published WHERE id = $1', [id])).toEqual([]);
    expect(await dataSource.getRepository(TaskOutbox).countBy({ id })).toBe(1);
    const delivered: string[] = [];
    const broker = {
      publish: async (message: TaskMessage, _options: PublishOptions) =>
        void delivered.push(message.headers.id),
    } as unknown as Broker;
    const relay = new OutboxRelay(dataSource, broker, { pollIntervalMs: 100 });
    relay.start();
    try {
      await expect.poll(() => delivered, { timeout: 10_000 }).toEqual([id]);
      await expect.poll(() => dataSource.getRepository(TaskOutbox).countBy({ id })).toBe(0);
    } finally {
      await relay.stop();
    }
    expect(delivered).toEqual([id]);
  });
});
