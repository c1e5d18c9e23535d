import { type INestApplicationContext } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RemoteTaskError, TaskClient } from 'celeriac';
import { TypeOrmResultBackend } from 'celeriac/typeorm';
import { createApp } from '../../libs/task-queue/src/__fixtures__/create-app.js';
import { FaultModule, FaultTasks } from '../support/fault-tasks.js';
import { dropMariaDb, openMigratedMariaDb, uniqueDatabase } from '../support/typeorm-mariadb.js';

/**
 * A task's return value above MariaDB's max_allowed_packet: the server refuses the INSERT and
 * closes the connection. The task fails once with ResultTooLargeError, which names the limit
 * and what to do, instead of the result write being retried as an outage (and the task run
 * again); the next task's result is stored.
 */
const database = uniqueDatabase('result_too_large');
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

describe('a SUCCESS above MariaDB max_allowed_packet', () => {
  it('fails the task once with ResultTooLargeError naming the limit and what to do', async () => {
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
        defaultQueue: `typeorm-result-large-${randomUUID()}`,
        worker: { concurrency: 1 },
      },
      [FaultModule],
    );
    const client = app.get(TaskClient);
    const result = await client.get(FaultTasks, 'bigCounted').delay(mb);
    const error = await result.get({ timeout: 30_000 }).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(RemoteTaskError);
    expect((error as RemoteTaskError).excType).toBe('ResultTooLargeError');
    const text = (error as RemoteTaskError).message;
    expect(text).toContain(`larger than the server's max_allowed_packet (${Number(max)} bytes)`);
    expect(text).toContain('Return a reference to the data');
    expect(text).toContain('or raise max_allowed_packet on the server');
    const next = await client.get(FaultTasks, 'len').delay('abc');
    await expect(next.get({ timeout: 30_000 })).resolves.toBe(3);
    expect(FaultTasks.runs.get(result.id)).toBe(1);
  }, 90_000);
});
