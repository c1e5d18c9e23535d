import type { INestApplicationContext } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drainOnCommit, TaskOutbox } from 'celeriac/typeorm';
import { captureOnCommitCallbacks } from 'celeriac/testing';
import { createApp } from '../../libs/task-queue/src/__fixtures__/create-app.js';
import { RecordingBroker } from '../../libs/task-queue/src/__fixtures__/recording-broker.js';
import { TaskDispatcher } from '../../libs/task-queue/src/producer/task.dispatcher.js';
import { openTestDatabase, type TestDatabase } from '../support/typeorm-drivers.js';

// captureOnCommitCallbacks() in outbox mode: like Django's captureOnCommitCallbacks, a task
// whose callback was captured (not executed) is not sent, by the fast path or by a relay. Its
// row used to be committed anyway, so the next relay round sent it.

describe('captureOnCommitCallbacks with dispatch: outbox', () => {
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
        typeorm: {
          dataSource: db.dataSource,
          dispatch: 'outbox',
          outbox: { graceMs: 0 },
          relay: false,
        },
        worker: { enabled: false },
      },
      [],
    );
  });
  afterAll(async () => {
    await app?.close();
    await db?.dispose();
  });

  it('a captured delayOnCommit() leaves nothing for a relay; execute: true sends it once', async () => {
    const dispatcher = app.get(TaskDispatcher);
    const send = () =>
      db.dataSource.transaction(() =>
        dispatcher.sendOnCommit('demo.add', [1, 2], {}, undefined, 'delayOnCommit'),
      );
    const rows = () => db.dataSource.getRepository(TaskOutbox).count();
    const captured = await captureOnCommitCallbacks(send);
    expect(await rows()).toBe(0); // a committed row would be sent by any relay
    expect(published()).toEqual([]);
    // The names after-commit mode records: the task, not the outbox's internal steps.
    expect(captured.callbacks.map((c) => c.name)).toEqual([`demo.add[${captured.result.id}]`]);

    const executed = await captureOnCommitCallbacks(send, { execute: true });
    await drainOnCommit();
    expect(published()).toEqual([executed.result.id]);
    expect(await rows()).toBe(0);
  });
});
