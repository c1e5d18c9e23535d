import { Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../libs/task-queue/src/__fixtures__/create-app.js';
import { group, Task, TaskClient } from 'celeriac';
import { onCommit, TaskOutbox } from 'celeriac/typeorm';
import { deleteKeys, deleteResults, REDIS_URL } from '../support/redis-test-server.js';
import { ItemSchema, openTestDatabase, type TestDatabase } from '../support/typeorm-drivers.js';

/**
 * Tasks a task sends on commit of its own transactions are its children, as in Celery with
 * Django (`transaction.on_commit(lambda: child.delay())` runs inside the commit, so the send
 * is traced to the running task): `delayOnCommit()`, a canvas's `applyAsyncOnCommit()` and
 * `onCommit(() => child.delay())` are listed in the parent's stored `children` once their
 * transaction committed, and a rolled-back one is not. PostgreSQL, Redis broker and results,
 * after-commit and outbox mode.
 */
let database: DataSource;
let client: TaskClient;

interface Sent {
  committed: string[];
  rolledBack: string;
  group: string;
}

@Injectable()
class FamilyTasks {
  @Task('family.child')
  child(x: number): number {
    return x * 10;
  }

  @Task('family.parent')
  async parent(): Promise<Sent> {
    const child = client.get(FamilyTasks, 'child');
    const committed: string[] = [];
    await database.transaction(async (m) => {
      await m.insert(ItemSchema, { id: randomUUID() });
      committed.push((await child.delayOnCommit(1)).id);
    });
    let rolledBack = '';
    await database
      .transaction(async () => {
        rolledBack = (await child.delayOnCommit(2)).id;
        throw new Error('rollback');
      })
      .catch(() => undefined);
    await database.transaction(async () => {
      await onCommit(async () => committed.push((await child.delay(3)).id));
    });
    let groupId = '';
    await database.transaction(async () => {
      groupId = (await group(child.s(4), child.s(5)).applyAsyncOnCommit()).id;
    });
    return { committed, rolledBack, group: groupId };
  }
}

@Module({ providers: [FamilyTasks] })
class FamilyModule {}

describe.each(['after-commit', 'outbox'] as const)(
  'on-commit sends from a task, %s',
  (dispatch) => {
    let db: TestDatabase;
    let app: INestApplicationContext;
    const queue = `oncommit-children-${randomUUID()}`;
    const ids: string[] = [];

    beforeAll(async () => {
      db = await openTestDatabase('postgres', [TaskOutbox]);
      database = db.dataSource;
      app = await createApp(
        {
          broker: REDIS_URL,
          resultBackend: REDIS_URL,
          defaultQueue: queue,
          typeorm: { dataSource: db.dataSource, dispatch, relay: { pollIntervalMs: 200 } },
          worker: { concurrency: 4 },
        },
        [FamilyModule],
      );
      client = app.get(TaskClient);
    });
    afterAll(async () => {
      await app?.close();
      await db?.dispose();
      await deleteKeys(REDIS_URL, queue, `_kombu.binding.${queue}`);
      await deleteResults(REDIS_URL, ids);
    });

    it('lists what was committed, and not what rolled back', async () => {
      const parent = await client.get(FamilyTasks, 'parent').delay();
      const sent = await parent.get({ timeout: 20_000 });
      ids.push(parent.id, ...sent.committed, sent.rolledBack, sent.group);
      expect(sent.committed).toHaveLength(2);
      // Each is recorded as its transaction's callbacks run (after COMMIT, on the next turn).
      const children = await parent.children();
      const byId = new Map(children.map((c) => [c.id, c]));
      expect([...byId.keys()].sort()).toEqual([...sent.committed, sent.group].sort());
      expect(byId.has(sent.rolledBack)).toBe(false);
      // The children ran (and are the tasks the parent sent).
      const [first, third, both] = [...sent.committed, sent.group].map((id) => byId.get(id));
      expect(await first!.get({ timeout: 10_000 })).toBe(10);
      expect(await third!.get({ timeout: 10_000 })).toBe(30);
      expect(await both!.get({ timeout: 10_000 })).toEqual([40, 50]);
      ids.push(...('results' in both! ? both.results.map((r) => r.id) : []));
    });
  },
);
