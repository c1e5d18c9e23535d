import { Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { getBrokerToken, Task, TaskClient, type Broker, type TaskMessage } from 'celeriac';
import { drainOnCommit, TaskOutbox } from 'celeriac/typeorm';
import { createApp } from '../../libs/task-queue/src/__fixtures__/create-app.js';
import { openTestDatabase, type TestDatabase } from '../support/typeorm-drivers.js';

/**
 * `applyAsyncOnCommit(args, { countdown, expires })` counts those seconds from the COMMIT, as
 * Celery's `apply_async_on_commit` and Django's `on_commit(lambda: task.apply_async(...))` do:
 * a transaction that outlasts the countdown must not make the task run at once, nor one that
 * outlasts `expires` send it already expired (workers would record it REVOKED, unrun).
 */
@Injectable()
class TimedTasks {
  @Task('relative.times')
  async run(): Promise<void> {}
}
@Module({ providers: [TimedTasks] })
class TimedTasksModule {}

describe.each(['after-commit', 'outbox'] as const)('%s mode', (dispatch) => {
  let db: TestDatabase;
  let app: INestApplicationContext;
  beforeAll(async () => {
    db = await openTestDatabase('postgres', [TaskOutbox]);
    app = await createApp(
      {
        typeorm: { dataSource: db.dataSource, dispatch, relay: false },
        worker: { enabled: false },
      },
      [TimedTasksModule],
    );
  });
  afterEach(() => vi.useRealTimers());
  afterAll(async () => {
    await app?.close();
    await db?.dispose();
  });

  it('countdown and expires in seconds count from the COMMIT, an absolute eta does not move', async () => {
    const sent: TaskMessage[] = [];
    const broker = app.get<Broker>(getBrokerToken());
    const publish = broker.publish.bind(broker);
    vi.spyOn(broker, 'publish').mockImplementation(async (message, options) => {
      sent.push(message);
      await publish(message, options);
    });
    const task = app.get(TaskClient).get(TimedTasks, 'run');
    const eta = new Date(Date.now() + 3_600_000);
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    let committedAt = 0;
    await db.dataSource.transaction(async () => {
      await task.applyAsyncOnCommit([], { countdown: 10, expires: 30 });
      await task.applyAsyncOnCommit([], { eta, expires: eta });
      // The transaction takes a minute (a batch, a lock wait).
      vi.setSystemTime(Date.now() + 60_000);
      committedAt = Date.now();
    });
    await drainOnCommit();
    expect(sent).toHaveLength(2);
    const at = (value: string | null): number => Date.parse(value ?? ''); // ISO with offset
    const [relative, absolute] = sent;
    expect(at(relative!.headers.eta) - committedAt).toBeGreaterThanOrEqual(10_000);
    expect(at(relative!.headers.eta) - committedAt).toBeLessThan(15_000);
    expect(at(relative!.headers.expires) - committedAt).toBeGreaterThanOrEqual(30_000);
    expect(at(relative!.headers.expires) - committedAt).toBeLessThan(35_000);
    expect(at(absolute!.headers.eta)).toBe(eta.getTime());
    expect(at(absolute!.headers.expires)).toBe(eta.getTime());
  });
});
