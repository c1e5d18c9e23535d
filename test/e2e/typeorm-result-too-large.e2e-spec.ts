import { Logger, type INestApplicationContext } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RemoteTaskError, TaskClient, type AsyncResult } from 'celeriac';
import { TypeOrmResultBackend } from 'celeriac/typeorm';
import { createApp } from '../../libs/task-queue/src/__fixtures__/create-app.js';
import { FaultModule, FaultTasks } from '../support/fault-tasks.js';
import { dropMariaDb, openMigratedMariaDb, uniqueDatabase } from '../support/typeorm-mariadb.js';

/**
 * Results above MariaDB's `max_allowed_packet` (16 MiB by default here, 64 MiB on MySQL 8): the
 * server refuses the INSERT with ER_NET_PACKET_TOO_LARGE and closes the connection. Such a
 * result was taken for an outage: 60 s of store retries, a requeue, and the task ran again,
 * forever. Now a SUCCESS fails the task once with ResultTooLargeError, naming the limit and
 * what to do, and a FAILURE is stored once, truncated and saying so; the next task's result
 * is stored.
 */
const database = uniqueDatabase('result_too_large');
let dataSource: DataSource;
let app: INestApplicationContext;
let client: TaskClient;
let max: number;
/** One MiB over the server's limit. */
let mb: number;

beforeAll(async () => {
  dataSource = await openMigratedMariaDb(database);
  const [row] = (await dataSource.query('SELECT @@max_allowed_packet AS max')) as [
    { max: number | string },
  ];
  max = Number(row.max);
  mb = Math.ceil(max / 2 ** 20) + 1;
  app = await createApp(
    {
      resultBackend: new TypeOrmResultBackend(dataSource, { pollInterval: 50, cleanupInterval: 0 }),
      defaultQueue: `typeorm-result-large-${randomUUID()}`,
      worker: { concurrency: 1 },
    },
    [FaultModule],
  );
  client = app.get(TaskClient);
}, 60_000);
afterAll(async () => {
  await app?.close();
  await dataSource?.destroy();
  await dropMariaDb(database);
});

async function failed(result: AsyncResult<unknown>): Promise<RemoteTaskError> {
  const error = await result.get({ timeout: 30_000 }).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(RemoteTaskError);
  return error as RemoteTaskError;
}

/** The next task's result is stored, and the big one ran once. */
async function expectNextStored(id: string): Promise<void> {
  const next = await client.get(FaultTasks, 'len').delay('abc');
  await expect(next.get({ timeout: 30_000 })).resolves.toBe(3);
  expect(FaultTasks.runs.get(id)).toBe(1);
}

describe('results above MariaDB max_allowed_packet', () => {
  it('a SUCCESS fails the task once with ResultTooLargeError naming the limit and what to do', async () => {
    const result = await client.get(FaultTasks, 'bigCounted').delay(mb);
    const error = await failed(result);
    expect(error.excType).toBe('ResultTooLargeError');
    expect(error.message).toContain(`larger than the server's max_allowed_packet (${max} bytes)`);
    expect(error.message).toContain('Return a reference to the data');
    expect(error.message).toContain('or raise max_allowed_packet on the server');
    await expectNextStored(result.id);
  }, 90_000);

  it('a FAILURE is stored once, truncated and saying so; the task runs once', async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn');
    const result = await client.get(FaultTasks, 'bigFailure').delay(mb);
    const error = await failed(result);
    expect(String(error.excArgs[0])).toMatch(/^big failure y+\.\.\. \[truncated \d+ characters\]$/);
    expect(error.remoteStack ?? '').toMatch(/\[truncated \d+ characters\]$/);
    await expectNextStored(result.id);
    const truncation = warn.mock.calls
      .map(([message]) => String(message))
      .filter((line) => /truncated/.test(line));
    expect(truncation).toHaveLength(1);
    expect(truncation[0]).toMatch(/FAILURE of task fault\.bigFailure\[/);
    warn.mockRestore();
  }, 90_000);
});
