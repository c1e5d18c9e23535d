import type { INestApplicationContext } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBroker } from 'celeriac';
import type { PublishOptions, TaskMessage } from 'celeriac';
import {
  drainOnCommit,
  installCommitHooks,
  TaskOutbox,
  uninstallCommitHooks,
} from 'celeriac/typeorm';
import { createApp } from '../../libs/task-queue/src/__fixtures__/create-app.js';
import { TaskDispatcher } from '../../libs/task-queue/src/producer/task.dispatcher.js';
import { ItemSchema, openTestDatabase, type TestDatabase } from '../support/typeorm-drivers.js';

// delayOnCommit() without a manager, inside a transaction of another DataSource tracked with
// installCommitHooks() (the module's DataSource has none open): it waits for that transaction,
// as `onCommit(() => task.delay())` written in the same place does. It used to publish at once,
// before the COMMIT, and also when that transaction rolled back.

describe.each(['after-commit', 'outbox'] as const)(
  'delayOnCommit() in a transaction of another tracked DataSource (%s)',
  (dispatch) => {
    let main: TestDatabase;
    let other: TestDatabase;
    let app: INestApplicationContext;
    /** Per published task id: was its item committed in the other database at publish time? */
    const published = new Map<string, boolean>();

    beforeAll(async () => {
      main = await openTestDatabase('postgres', [TaskOutbox]);
      other = await openTestDatabase('postgres');
      const broker = new MemoryBroker();
      const publish = broker.publish.bind(broker);
      broker.publish = async (message: TaskMessage, options: PublishOptions) => {
        const [id] = JSON.parse(message.body) as [string[]];
        const row = await other.dataSource.getRepository(ItemSchema).findOneBy({ id: id[0]! });
        published.set(id[0]!, row !== null);
        return publish(message, options);
      };
      app = await createApp(
        {
          broker,
          resultBackend: false,
          typeorm: { dataSource: main.dataSource, dispatch, relay: false },
          worker: { enabled: false },
        },
        [],
      );
      installCommitHooks(other.dataSource);
    });
    afterEach(() => published.clear());
    afterAll(async () => {
      uninstallCommitHooks(other.dataSource);
      await app?.close();
      await other?.dispose();
      await main?.dispose();
    });

    it('sends after its COMMIT, and nothing when it rolls back', async () => {
      const dispatcher = app.get(TaskDispatcher);
      const [committed, rolledBack] = [randomUUID(), randomUUID()];
      await other.dataSource.transaction(async (m) => {
        await m.insert(ItemSchema, { id: committed });
        await dispatcher.sendOnCommit('demo.check', [committed], {}, undefined, 'delayOnCommit');
      });
      await other.dataSource
        .transaction(async (m) => {
          await m.insert(ItemSchema, { id: rolledBack });
          await dispatcher.sendOnCommit('demo.check', [rolledBack], {}, undefined, 'delayOnCommit');
          throw new Error('rollback');
        })
        .catch(() => undefined);
      await drainOnCommit();
      expect([...published]).toEqual([[committed, true]]);
      expect(await main.dataSource.getRepository(TaskOutbox).count()).toBe(0);
    });
  },
);
