import type { INestApplicationContext } from '@nestjs/common';
import { TaskGroupResult, TaskResult } from 'celeriac/typeorm';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../libs/task-queue/src/__fixtures__/create-app.js';
import { RESULT_MIGRATIONS } from '../support/celeriac-migrations.js';
import { type PyCall, useInteropFixture } from '../support/interop-fixture.js';
import { runPythonClient, uniqueName } from '../support/interop-processes.js';
import { deleteKeys, REDIS_URL } from '../support/redis-test-server.js';
import { dropSchema, openSchemaDataSource, uniqueSchema } from '../support/typeorm-postgres.js';

/**
 * Celery built-in tasks a Python app sends on its own, run by a Node worker that serves its
 * queue (they were NotRegistered and dead-lettered): `celery.accumulate`, the chord body of
 * `Task.replace(group)`, and `celery.backend_cleanup`, which Python's beat sends every day at
 * 4:00 when the result backend does not expire results itself.
 */
const { ids, useNodeWorker } = useInteropFixture('celeriac-interop-builtins');

describe('celery.accumulate sent by Python (Redis)', () => {
  const { queue } = useNodeWorker('interop-accumulate', {
    broker: () => REDIS_URL,
    backend: REDIS_URL,
  });

  const accumulate = async (args: unknown[], kwargs: Record<string, unknown>): Promise<PyCall> => {
    const report = await runPythonClient<PyCall>(REDIS_URL, REDIS_URL, 'call', {
      task: 'celery.accumulate',
      args,
      kwargs,
      options: { queue },
    });
    ids.push(report.id);
    return report;
  };

  it('returns its arguments, or the one at index (Python indexing), as Celery does', async () => {
    expect(await accumulate([[3, 7]], { index: 0 })).toMatchObject({
      state: 'SUCCESS',
      result: [3, 7],
    });
    expect(await accumulate([1, 2, 3], { index: -1 })).toMatchObject({
      state: 'SUCCESS',
      result: 3,
    });
    expect(await accumulate([1, 2], {})).toMatchObject({ state: 'SUCCESS', result: [1, 2] });
  });

  it('an index past the arguments fails with IndexError, as in Python', async () => {
    const report = await accumulate([1], { index: 1 });
    expect(report).toMatchObject({ state: 'FAILURE', exc_type: 'IndexError' });
  });
});

describe('celery.backend_cleanup sent as Python beat sends it (TypeORM results)', () => {
  const queue = uniqueName('interop-cleanup');
  const schema = uniqueSchema('builtins');
  let dataSource: DataSource;
  let app: INestApplicationContext | undefined;

  beforeAll(async () => {
    dataSource = await openSchemaDataSource(schema, {
      entities: [TaskResult, TaskGroupResult],
      migrations: RESULT_MIGRATIONS,
    });
    await dataSource.runMigrations();
    app = await createApp(
      {
        broker: REDIS_URL,
        resultBackend: 'typeorm',
        // No periodic cleanup: only the task may delete the expired row.
        typeorm: { dataSource, results: { cleanupIntervalMs: 0 } },
        defaultQueue: queue,
        worker: { queues: [queue], concurrency: 1 },
      },
      [],
    );
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await dataSource?.destroy();
    await dropSchema(schema);
    await deleteKeys(REDIS_URL, queue, `${queue}.dlq`, `_kombu.binding.${queue}`);
  });

  it('deletes the expired results and keeps the others', async () => {
    const row = (taskId: string, expiresAt: Date) => ({
      taskId,
      status: 'SUCCESS',
      result: '1',
      dateCreated: new Date(Date.UTC(2026, 0, 1)),
      expiresAt,
    });
    const repo = dataSource.getRepository(TaskResult);
    await repo.insert([
      row('expired', new Date(Date.UTC(2026, 0, 2))),
      row('kept', new Date(Date.UTC(2099, 0, 1))),
    ]);
    // Celery's beat entry: crontab 4:00 daily, options {'expires': 12 * 3600}.
    await runPythonClient(REDIS_URL, REDIS_URL, 'send', {
      tasks: [['celery.backend_cleanup', [], { queue, expires: 43_200 }]],
    });
    await expect.poll(() => repo.countBy({ taskId: 'expired' }), { timeout: 15_000 }).toBe(0);
    expect(await repo.countBy({ taskId: 'kept' })).toBe(1);
  });
});
