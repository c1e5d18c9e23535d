import { Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../libs/task-queue/src/__fixtures__/create-app.js';
import { TaskClient } from '../../libs/task-queue/src/producer/task.client.js';
import { Task } from '../../libs/task-queue/src/tasks/task.decorator.js';
import { drainOnCommit } from '../../libs/task-queue/src/transaction/commit-hooks.runner.js';
import { onCommit } from '../../libs/task-queue/src/transaction/on-commit.js';
import { TaskOutbox } from '../../libs/task-queue/src/transaction/outbox/task-outbox.entity.js';
import { atomic } from '../../libs/task-queue/src/transaction/transaction-context.js';
import { createTestVhost, type AmqpTestVhost } from '../support/amqp-vhost.js';
import { deleteKeys, REDIS_URL } from '../support/redis-test-server.js';
import {
  DRIVERS,
  ItemSchema,
  openTestDatabase,
  type TestDatabase,
} from '../support/typeorm-drivers.js';

/**
 * Tasks sent from inside TypeORM transactions, without passing a manager, through a real app
 * and worker on each broker and database, in after-commit and outbox mode: a committed
 * transaction's task runs once and sees its row; a rolled-back one is never dispatched.
 */
let database: DataSource;
const runs = new Map<string, boolean[]>();

@Injectable()
class RowTasks {
  @Task('tx.check')
  async check(id: string): Promise<void> {
    const found = (await database.getRepository(ItemSchema).findOneBy({ id })) !== null;
    runs.set(id, [...(runs.get(id) ?? []), found]);
  }
}
@Module({ providers: [RowTasks] })
class RowTasksModule {}

let vhost: AmqpTestVhost | undefined;
const brokers: Array<[string, (queue: string) => string]> = [
  ['memory', () => `memory://${randomUUID()}`],
  ['redis', () => REDIS_URL],
  ['rabbitmq', () => vhost!.url],
];
beforeAll(async () => {
  vhost = await createTestVhost('celeriac-oncommit');
});
afterAll(async () => {
  await vhost?.dispose();
});

const fail = (): never => {
  throw new Error('rollback');
};

describe.each(DRIVERS)('on %s', (driver) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase(driver, [TaskOutbox]);
    database = db.dataSource;
  });
  afterAll(() => db?.dispose());

  describe.each(brokers)('with %s', (brokerName, brokerUrl) => {
    describe.each(['after-commit', 'outbox'] as const)('%s', (dispatch) => {
      let app: INestApplicationContext;
      let queue: string;
      beforeAll(async () => {
        queue = `oncommit-${randomUUID()}`;
        app = await createApp(
          {
            broker: brokerUrl(queue),
            resultBackend: false,
            defaultQueue: queue,
            typeorm: { dataSource: db.dataSource, dispatch, relay: { pollIntervalMs: 200 } },
            worker: { concurrency: 4 },
          },
          [RowTasksModule],
        );
      });
      afterAll(async () => {
        await app?.close();
        if (brokerName === 'redis') await deleteKeys(REDIS_URL, queue, `_kombu.binding.${queue}`);
      });

      it('every form: committed → runs once and sees its row; rolled back → never sent', async () => {
        const task = app.get(TaskClient).get(RowTasks, 'check');
        const ds = db.dataSource;
        const forms: Array<[string, (id: string, commit: boolean) => Promise<unknown>]> = [
          [
            'onCommit(() => task.delay()) in dataSource.transaction',
            (id, commit) =>
              ds.transaction(async (m) => {
                await m.insert(ItemSchema, { id });
                await onCommit(() => task.delay(id));
                if (!commit) fail();
              }),
          ],
          [
            'delayOnCommit() with a manual QueryRunner',
            async (id, commit) => {
              const qr = ds.createQueryRunner();
              await qr.startTransaction();
              try {
                await qr.manager.insert(ItemSchema, { id });
                await task.delayOnCommit(id);
                if (commit) await qr.commitTransaction();
                else await qr.rollbackTransaction();
              } finally {
                await qr.release();
              }
            },
          ],
          [
            'applyAsyncOnCommit() in a savepoint of atomic()',
            (id, commit) =>
              atomic(ds, async (m) => {
                await m.transaction(async (s) => {
                  await s.insert(ItemSchema, { id });
                  await task.applyAsyncOnCommit([id]);
                });
                if (!commit) fail();
              }),
          ],
          [
            'using({ manager }).delayOnCommit() in manager.transaction',
            (id, commit) =>
              ds.manager.transaction(async (m) => {
                await m.insert(ItemSchema, { id });
                await task.using({ manager: m }).delayOnCommit(id);
                if (!commit) fail();
              }),
          ],
        ];
        const committed: string[] = [];
        const rolledBack: string[] = [];
        for (const [name, form] of forms) {
          for (const commit of [true, false]) {
            const id = `${commit ? 'ok' : 'rb'}-${randomUUID()}`;
            await form(id, commit).catch((error: Error) => {
              if (commit || error.message !== 'rollback') throw new Error(`${name}: ${error}`);
            });
            (commit ? committed : rolledBack).push(id);
          }
        }
        await expect
          .poll(() => committed.filter((id) => runs.has(id)).length, { timeout: 20_000 })
          .toBe(committed.length);
        await drainOnCommit();
        for (const id of committed) expect(runs.get(id)).toEqual([true]);
        for (const id of rolledBack) expect(runs.has(id)).toBe(false);
      });

      it.runIf(db?.concurrent !== false && driver !== 'sqljs')(
        '50 concurrent random commit/rollback transactions dispatch exactly the committed set',
        async () => {
          const task = app.get(TaskClient).get(RowTasks, 'check');
          const outcomes = Array.from({ length: 50 }, () => ({
            id: `c-${randomUUID()}`,
            commit: Math.random() < 0.5,
          }));
          await Promise.all(
            outcomes.map(({ id, commit }) =>
              db.dataSource
                .transaction(async (m) => {
                  await m.insert(ItemSchema, { id });
                  await new Promise((r) => setTimeout(r, Math.random() * 20));
                  await task.delayOnCommit(id);
                  if (!commit) fail();
                })
                .catch(() => undefined),
            ),
          );
          const committed = outcomes.filter((o) => o.commit).map((o) => o.id);
          await expect
            .poll(() => committed.filter((id) => runs.has(id)).length, { timeout: 20_000 })
            .toBe(committed.length);
          await drainOnCommit();
          for (const { id, commit } of outcomes) {
            expect(runs.get(id)).toEqual(commit ? [true] : undefined);
          }
        },
      );
    });
  });
});
