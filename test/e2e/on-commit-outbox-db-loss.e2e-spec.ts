import { type INestApplicationContext, Logger, type LoggerService } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskClient } from 'celeriac';
import {
  drainOnCommit,
  installCommitHooks,
  onCommit,
  TaskOutbox,
  uninstallCommitHooks,
} from 'celeriac/typeorm';
import { createApp } from '../../libs/task-queue/src/__fixtures__/create-app.js';
import { TaskDispatcher } from '../../libs/task-queue/src/producer/task.dispatcher.js';
import { PausableProxy } from '../support/pausable-proxy.js';
import { dropSchema, openSchemaDataSource, uniqueSchema } from '../support/typeorm-postgres.js';
import { REDIS_URL } from '../support/redis-test-server.js';

/**
 * Outbox mode writes a `delay()` made by an `onCommit` callback to `task_outbox` after the
 * COMMIT, outside any transaction. When PostgreSQL went away between the COMMIT and that write
 * (pg_terminate_backend, a failover), the write failed and the task was lost although the
 * broker answered: the callback's error was logged and nothing was sent. The send now goes to
 * the broker directly when the outbox row cannot be written, with one warning saying so.
 */
const schema = uniqueSchema('obloss');
const otherSchema = uniqueSchema('oblossother');
const queue = `obloss-${randomUUID().slice(0, 8)}`;
const lines: string[] = [];
const logger: LoggerService = {
  log: (message: unknown) => void lines.push(String(message)),
  warn: (message: unknown) => void lines.push(`WARN ${String(message)}`),
  error: (message: unknown) => void lines.push(`ERROR ${String(message)}`),
};

let proxy: PausableProxy;
let dataSource: DataSource;
let other: DataSource;
let app: INestApplicationContext;
const redis = new Redis(REDIS_URL);

beforeAll(async () => {
  proxy = await PausableProxy.start(5432);
  dataSource = await openSchemaDataSource(schema, { port: proxy.port, entities: [TaskOutbox] });
  await dataSource.query(
    'CREATE TABLE task_outbox (id varchar(255) PRIMARY KEY, queue varchar(255) NOT NULL, task_name varchar(255) NOT NULL, priority int NULL, not_before timestamptz NULL, message text NOT NULL, created_at timestamptz NOT NULL, relay_after timestamptz NOT NULL, attempts int NOT NULL DEFAULT 0, last_error text NULL, locked_by varchar(255) NULL, locked_until timestamptz NULL, trace_context text NULL, seq bigint NOT NULL DEFAULT 0)',
  );
  app = await createApp(
    {
      broker: REDIS_URL,
      resultBackend: false,
      defaultQueue: queue,
      typeorm: { dataSource, dispatch: 'outbox', relay: false },
      worker: { enabled: false },
    },
    [],
  );
  other = await openSchemaDataSource(otherSchema);
  installCommitHooks(other);
  Logger.overrideLogger(logger);
});

afterAll(async () => {
  Logger.overrideLogger(false);
  await app?.close();
  await dataSource?.destroy().catch(() => undefined);
  await proxy?.close();
  if (other) uninstallCommitHooks(other);
  await other?.destroy();
  await dropSchema(schema);
  await dropSchema(otherSchema);
  await redis.del(queue);
  redis.disconnect();
});

describe('outbox mode: the database goes away between the COMMIT and an onCommit callback', () => {
  it('the delay() of the callback is published to the broker directly, with a warning, not lost', async () => {
    let sent: string | undefined;
    await dataSource.transaction(async (manager) => {
      await manager.query('SELECT 1');
      await onCommit(async () => {
        proxy.refuse(); // PostgreSQL is gone: open connections drop, new ones are refused
        sent = (await app.get(TaskClient).send('demo.add', [1, 2])).id;
      });
    });
    await drainOnCommit();

    expect(sent).toBeDefined();
    const bodies = await redis.lrange(queue, 0, -1);
    expect(bodies.filter((body) => body.includes(sent!))).toHaveLength(1);
    const warning = lines.find((line) => line.includes(`demo.add[${sent}]`));
    expect(warning).toMatch(
      /^WARN .*could not be written to task_outbox.*publishing it to the broker directly/,
    );

    // The database is back: no row was left behind for a relay to send again.
    proxy.accept();
    expect(await dataSource.getRepository(TaskOutbox).count()).toBe(0);
  });

  it('the fast path published but cannot delete the rows: one warning for the batch says what follows', async () => {
    lines.length = 0;
    const dispatcher = app.get(TaskDispatcher);
    await dataSource.transaction(async () => {
      for (let i = 0; i < 5; i++) await dispatcher.sendOnCommit('demo.add', [i, i], {});
      // Runs after the five fast-path callbacks: published, their delete not yet sent.
      await onCommit(() => proxy.refuse());
    });
    await drainOnCommit();

    const warnings = lines.filter((line) => line.startsWith('WARN') && /outbox row/.test(line));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /Deleting 5 published outbox row\(s\) failed .*relay publishes them again/,
    );
    proxy.accept();
    expect(await dataSource.getRepository(TaskOutbox).count()).toBe(5);
  });

  it('delayOnCommit() in a transaction of another DataSource: its row, written after that COMMIT, falls back the same way', async () => {
    lines.length = 0;
    const dispatcher = app.get(TaskDispatcher);
    let id: string | undefined;
    await other.transaction(async (manager) => {
      await manager.query('SELECT 1');
      // Registered first, so it runs before the outbox write that follows this COMMIT.
      await onCommit(() => proxy.refuse(), { dataSource: other });
      id = (await dispatcher.sendOnCommit('demo.add', [7, 7], {}, undefined, 'delayOnCommit')).id;
    });
    await drainOnCommit();

    const bodies = await redis.lrange(queue, 0, -1);
    expect(bodies.filter((body) => body.includes(id!))).toHaveLength(1);
    expect(lines.find((line) => line.includes(`demo.add[${id}]`))).toMatch(
      /^WARN .*could not be written to task_outbox.*publishing it to the broker directly/,
    );
    proxy.accept();
  });
});
