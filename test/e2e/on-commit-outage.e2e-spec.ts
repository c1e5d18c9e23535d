import type { INestApplicationContext } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../libs/task-queue/src/__fixtures__/create-app.js';
import { TaskDispatcher } from '../../libs/task-queue/src/core/task.dispatcher.js';
import { drainOnCommit } from '../../libs/task-queue/src/transaction/commit-hooks.runner.js';
import { PrivateRedisServer } from '../support/redis-test-server.js';
import { dropSchema, openSchemaDataSource, uniqueSchema } from '../support/typeorm-postgres.js';

const schema = uniqueSchema('outage');

/**
 * A broker outage with many tasks waiting to be published (after their commits, and direct
 * sends): no MaxListenersExceededWarning, and everything is published once the broker is back.
 */
const warnings: string[] = [];
const onWarning = (warning: Error): void =>
  void warnings.push(`${warning.name}: ${warning.message}`);
let dataSource: DataSource;
let redis: PrivateRedisServer;
let app: INestApplicationContext | undefined;

beforeAll(async () => {
  process.on('warning', onWarning);
  redis = await PrivateRedisServer.start({ durable: true });
  dataSource = await openSchemaDataSource(schema);
});
afterAll(async () => {
  process.off('warning', onWarning);
  await app?.close();
  await redis?.destroy();
  await dataSource?.destroy();
  await dropSchema(schema);
});

describe('Redis broker down while tasks wait to be published', () => {
  it('200 pending publishes print no MaxListenersExceededWarning', async () => {
    app = await createApp(
      {
        broker: redis.url,
        resultBackend: false,
        defaultQueue: 'outage',
        typeorm: { dataSource },
        worker: { enabled: false },
      },
      [],
    );
    const dispatcher = app.get(TaskDispatcher);
    await dispatcher.send('demo.add', [0, 0], {});
    await redis.kill();
    const direct = Array.from({ length: 100 }, () =>
      dispatcher.send('demo.add', [1, 2], {}).then(
        () => 'sent',
        () => 'failed',
      ),
    );
    await Promise.all(
      Array.from({ length: 100 }, () =>
        dataSource.transaction(() => dispatcher.sendOnCommit('demo.add', [1, 2], {})),
      ),
    );
    await new Promise((r) => setTimeout(r, 1_000));
    await redis.restart();
    expect(new Set(await Promise.all(direct))).toEqual(new Set(['sent']));
    await drainOnCommit();
    expect(warnings.filter((w) => w.includes('MaxListeners'))).toEqual([]);
    const client = new Redis(redis.url);
    expect(await client.llen('outage')).toBe(201);
    client.disconnect();
  });
});
