import 'reflect-metadata';
import { Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chain,
  chord,
  group,
  RemoteTaskError,
  TaskClient,
  TaskQueueModule,
  type AsyncResult,
  type ProducerOf,
  type TaskQueueOptions,
} from 'celeriac';
import { CreateTaskResult1767225600001, TaskGroupResult, TaskResult } from 'celeriac/typeorm';
import { createTestVhost, type AmqpTestVhost } from '../support/amqp-vhost.js';
import { CanvasTasks } from '../support/canvas-tasks.js';
import { uniqueName } from '../support/interop-processes.js';
import { dropSchema, openSchemaDataSource, uniqueSchema } from '../support/typeorm-postgres.js';

/**
 * Canvases built and run in Node on the other transports: RabbitMQ as the broker (Redis
 * results), and the TypeORM result backend on PostgreSQL (Redis broker), where chords complete
 * through `celery.chord_unlock` as with Celery's database backend.
 */
const REDIS = 'redis://127.0.0.1:6379/0';
const T = { timeout: 20_000 };

interface Setup {
  options(queue: string): Promise<Partial<TaskQueueOptions>>;
  dispose(): Promise<void>;
}

let vhost: AmqpTestVhost | undefined;
let dataSource: DataSource | undefined;
const schema = uniqueSchema('canvas');

const setups: Record<string, Setup> = {
  'RabbitMQ broker, Redis results': {
    async options() {
      vhost = await createTestVhost('canvas');
      return { broker: vhost.url, resultBackend: REDIS };
    },
    async dispose() {
      await vhost?.dispose();
    },
  },
  'Redis broker, TypeORM results (PostgreSQL): chords through celery.chord_unlock': {
    async options() {
      dataSource = await openSchemaDataSource(schema, {
        entities: [TaskResult, TaskGroupResult],
        migrations: [CreateTaskResult1767225600001],
      });
      await dataSource.runMigrations();
      return { broker: REDIS, resultBackend: 'typeorm', typeorm: { dataSource } };
    },
    async dispose() {
      await dataSource?.destroy();
      await dropSchema(schema);
    },
  },
};

describe.each(Object.entries(setups))('canvas on %s', (_name, setup) => {
  const queue = uniqueName('canvas-be');
  let app: INestApplication;
  let add: ProducerOf<CanvasTasks, 'add'>;
  let tsum: ProducerOf<CanvasTasks, 'tsum'>;
  let fail: ProducerOf<CanvasTasks, 'fail'>;
  let echo: ProducerOf<CanvasTasks, 'echo'>;
  let client: TaskClient;

  beforeAll(async () => {
    const transport = await setup.options(queue);
    @Module({
      imports: [
        TaskQueueModule.forRoot({
          ...transport,
          resultExpires: 600,
          routes: { 'interop.*': { queue } },
          defaultQueue: queue,
          worker: { queues: [queue], concurrency: 4, banner: false },
          events: { enabled: false },
        }),
      ],
      providers: [CanvasTasks],
    })
    class BackendModule {}
    const moduleRef = await Test.createTestingModule({ imports: [BackendModule] }).compile();
    app = moduleRef.createNestApplication({ logger: ['error'] });
    await app.init();
    client = app.get(TaskClient);
    add = client.get(CanvasTasks, 'add');
    tsum = client.get(CanvasTasks, 'tsum');
    fail = client.get(CanvasTasks, 'fail');
    echo = client.get(CanvasTasks, 'echo');
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await setup.dispose();
    const redis = new Redis(REDIS);
    await redis.del(queue, `_kombu.binding.${queue}`);
    redis.disconnect();
  }, 30_000);

  it('chain, group, chord and chain(task, group, body)', async () => {
    const chained = await chain(add.s(2, 2), add.s(4)).delay();
    expect(await chained.get(T)).toBe(8);
    expect(await (chained.parent as AsyncResult<number>).get(T)).toBe(4);
    const grouped = await group(add.s(1, 1), add.s(2, 2)).delay();
    expect(await grouped.get(T)).toEqual([2, 4]);
    await grouped.save();
    const restored = await client.restoreGroup<number[]>(grouped.id);
    expect(await restored?.get(T)).toEqual([2, 4]);
    expect(await (await chord([add.s(1, 1), add.s(2, 2)], tsum.s()).delay()).get(T)).toBe(6);
    const nested = await chain(add.s(1, 1), group(add.s(1), add.s(2)), tsum.s()).delay();
    expect(await nested.get(T)).toBe(7);
  });

  it('map / starmap / chunks on the Node built-ins', async () => {
    expect(await (await add.starmap([[1, 2]]).delay()).get(T)).toEqual([3]);
    const chunked = await add
      .chunks(
        [
          [1, 1],
          [2, 2],
          [3, 3],
        ],
        2,
      )
      .delay();
    expect(await chunked.get(T)).toEqual([[2, 4], [6]]);
  });

  it('chain(...).applyAsyncOnCommit(): sent after COMMIT, never after a rollback', async () => {
    if (!dataSource) return; // the TypeORM set-up only
    const ds = dataSource;
    let committed!: AsyncResult<number>;
    await ds.transaction(async (manager) => {
      committed = await chain(add.s(1, 1), add.s(1)).applyAsyncOnCommit(undefined, { manager });
    });
    expect(await committed.get(T)).toBe(3);
    let rolledBack!: AsyncResult<number>;
    await ds
      .transaction(async (manager) => {
        rolledBack = await chain(add.s(5, 5), add.s(5)).applyAsyncOnCommit(undefined, {
          manager,
        });
        throw new Error('rollback');
      })
      .catch(() => undefined);
    // A longer chain sent afterwards finishes; the rolled-back one was never sent.
    const marker = await chain(add.s(0, 0), add.s(0), add.s(0)).delay();
    expect(await marker.get(T)).toBe(0);
    expect(await rolledBack.state()).toBe('PENDING');
    expect(await (rolledBack.parent as AsyncResult).state()).toBe('PENDING');
  });

  it('a failing header member fails the chord body (ChordError) and runs its link_error', async () => {
    const errbackId = crypto.randomUUID();
    const body = tsum.s().linkError(echo.si('errback').set({ taskId: errbackId }));
    const result = await chord([add.s(1, 1), fail.s('header')], body).delay();
    const error = (await result.get(T).catch((e: unknown) => e)) as RemoteTaskError;
    expect(error.excType).toBe('ChordError');
    expect(await client.result<{ args: unknown[] }>(errbackId).get(T)).toEqual({
      args: ['errback'],
      lang: 'node',
    });
  });
});
