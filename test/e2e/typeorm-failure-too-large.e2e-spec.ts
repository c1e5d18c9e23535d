import { Logger, type INestApplicationContext } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RemoteTaskError, TaskClient } from 'celeriac';
import { TypeOrmResultBackend } from 'celeriac/typeorm';
import { createApp } from '../../libs/task-queue/src/__fixtures__/create-app.js';
import { FaultModule, FaultTasks } from '../support/fault-tasks.js';
import { dropMariaDb, openMigratedMariaDb, uniqueDatabase } from '../support/typeorm-mariadb.js';

/**
 * MariaDB / MySQL refuse a statement above `max_allowed_packet` (16 MiB by default here, 64 MiB
 * on MySQL 8) with ER_NET_PACKET_TOO_LARGE, and close the connection. A task whose exception
 * message was 20 MiB had its FAILURE taken for an outage: 60 s of store retries, a requeue, and
 * the task ran again, forever. It is now stored once, truncated and saying so.
 */
const database = uniqueDatabase('failure_too_large');
let dataSource: DataSource;
let app: INestApplicationContext | undefined;

beforeAll(async () => {
  dataSource = await openMigratedMariaDb(database);
});
afterAll(async () => {
  await app?.close();
  await dataSource?.destroy();
  await dropMariaDb(database);
});

describe('a FAILURE above MariaDB max_allowed_packet', () => {
  it('is stored once, truncated and saying so; the task runs once', async () => {
    const [{ max }] = (await dataSource.query('SELECT @@max_allowed_packet AS max')) as [
      { max: number | string },
    ];
    const mb = Math.ceil(Number(max) / 2 ** 20) + 1;
    app = await createApp(
      {
        resultBackend: new TypeOrmResultBackend(dataSource, {
          pollInterval: 50,
          cleanupInterval: 0,
        }),
        defaultQueue: `typeorm-failure-large-${randomUUID()}`,
        worker: { concurrency: 1 },
      },
      [FaultModule],
    );
    const warn = vi.spyOn(Logger.prototype, 'warn');
    const client = app.get(TaskClient);
    const result = await client.get(FaultTasks, 'bigFailure').delay(mb);
    const error = await result.get({ timeout: 30_000 }).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(RemoteTaskError);
    const stored = String((error as RemoteTaskError).excArgs[0]);
    expect(stored).toMatch(/^big failure y+\.\.\. \[truncated \d+ characters\]$/);
    expect((error as RemoteTaskError).remoteStack ?? '').toMatch(/\[truncated \d+ characters\]$/);
    const next = await client.get(FaultTasks, 'len').delay('abc');
    await expect(next.get({ timeout: 30_000 })).resolves.toBe(3);
    expect(FaultTasks.runs.get(result.id)).toBe(1);
    const warnings = warn.mock.calls.map(([message]) => String(message));
    const truncation = warnings.filter((line) => /truncated/.test(line));
    expect(truncation).toHaveLength(1);
    expect(truncation[0]).toMatch(/FAILURE of task fault\.bigFailure\[/);
    warn.mockRestore();
  });
});
