import { Logger, type INestApplicationContext } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { EntityManager } from 'typeorm';
import { drainOnCommit, onCommit, TaskOutbox } from 'celeriac/typeorm';
import { createApp } from '../../libs/task-queue/src/__fixtures__/create-app.js';
import { RecordingBroker } from '../../libs/task-queue/src/__fixtures__/recording-broker.js';
import { TaskDispatcher } from '../../libs/task-queue/src/producer/task.dispatcher.js';
import { openTestDatabase, type TestDatabase } from '../support/typeorm-drivers.js';

// delayOnCommit({ manager }) with the manager of a transaction that is over: in an onCommit
// callback of that transaction, or late (a promise not awaited inside it). After-commit mode
// sends it at once (LATE_ON_COMMIT warning when late); outbox mode used to reject with
// TypeORM's QueryRunnerProviderAlreadyReleasedError and send nothing.

describe.each(['after-commit', 'outbox'] as const)(
  'delayOnCommit() with a finished transaction’s manager (%s)',
  (dispatch) => {
    let db: TestDatabase;
    let app: INestApplicationContext;
    const broker = new RecordingBroker();
    const published = (): string[] => broker.sent.map((headers) => headers.id);

    beforeAll(async () => {
      db = await openTestDatabase('postgres', [TaskOutbox]);
      app = await createApp(
        {
          broker,
          resultBackend: false,
          typeorm: { dataSource: db.dataSource, dispatch, relay: false },
          worker: { enabled: false },
        },
        [],
      );
    });
    afterAll(async () => {
      vi.restoreAllMocks();
      await app?.close();
      await db?.dispose();
    });

    it('sends it at once, saying so when late; leaves no row', async () => {
      const warnings: string[] = [];
      vi.spyOn(Logger.prototype, 'warn').mockImplementation((line: unknown) => {
        warnings.push(String(line));
      });
      const dispatcher = app.get(TaskDispatcher);
      const send = (manager: EntityManager) =>
        dispatcher.sendOnCommit('demo.add', [1], { manager }, undefined, 'delayOnCommit');
      let inCallback: string | undefined;
      let finished!: EntityManager;
      await db.dataSource.transaction(async (manager) => {
        finished = manager;
        await onCommit(async () => {
          inCallback = (await send(manager)).id;
        });
      });
      await drainOnCommit();
      const late = (await send(finished)).id;
      await drainOnCommit();
      expect(published()).toEqual([inCallback, late]);
      expect(warnings.filter((line) => line.startsWith('LATE_ON_COMMIT'))).toHaveLength(1);
      expect(await db.dataSource.getRepository(TaskOutbox).count()).toBe(0);
    });
  },
);
