import type { INestApplicationContext } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../libs/task-queue/src/__fixtures__/create-app.js';
import { TaskDispatcher } from '../../libs/task-queue/src/producer/task.dispatcher.js';
import { TaskClient } from 'celeriac';
import { drainOnCommit } from 'celeriac/typeorm';
import { onCommit } from 'celeriac/typeorm';
import { TaskOutbox } from 'celeriac/typeorm';
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

describe('outbox mode: onCommit(() => task.delay()) while Redis is down', () => {
  it('the send made by the callback goes through the outbox and is delivered once Redis is back', async () => {
    await dataSource.query(
      'CREATE TABLE IF NOT EXISTS task_outbox (id varchar(255) PRIMARY KEY, queue varchar(255) NOT NULL, task_name varchar(255) NOT NULL, priority int NULL, not_before timestamptz NULL, message text NOT NULL, created_at timestamptz NOT NULL, relay_after timestamptz NOT NULL, attempts int NOT NULL DEFAULT 0, last_error text NULL, locked_by varchar(255) NULL, locked_until timestamptz NULL, trace_context text NULL, seq bigint NOT NULL DEFAULT 0)',
    );
    const outboxDs = await openSchemaDataSource(schema, { entities: [TaskOutbox] });
    const outboxApp = await createApp(
      {
        broker: redis.url,
        resultBackend: false,
        defaultQueue: 'outage-outbox',
        typeorm: { dataSource: outboxDs, dispatch: 'outbox', relay: { pollIntervalMs: 200 } },
        worker: { enabled: false },
      },
      [],
    );
    try {
      const client = outboxApp.get(TaskClient);
      await client.send('demo.add', [0, 0]);
      await redis.kill();
      let sent: string | undefined;
      await outboxDs.transaction(async () => {
        await onCommit(async () => {
          sent = (await client.send('demo.add', [1, 2])).id;
        });
      });
      const rows = (): Promise<number> => outboxDs.getRepository(TaskOutbox).count();
      await expect.poll(rows, { timeout: 10_000 }).toBe(1);
      await redis.restart();
      await drainOnCommit();
      const check = new Redis(redis.url);
      await expect.poll(() => check.llen('outage-outbox'), { timeout: 15_000 }).toBe(2);
      const bodies = await check.lrange('outage-outbox', 0, -1);
      check.disconnect();
      expect(bodies.some((body) => body.includes(sent!))).toBe(true);
      await expect.poll(rows, { timeout: 10_000 }).toBe(0);
    } finally {
      await outboxApp.close();
      await outboxDs.destroy();
    }
  });
});
