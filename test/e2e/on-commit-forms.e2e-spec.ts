import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager, EntitySubscriberInterface, InsertEvent } from 'typeorm';
import { beforeAll, describe, expect, it } from 'vitest';
import { captureOnCommitCallbacks } from 'celeriac/testing';
import { AtomicManager } from 'celeriac/typeorm';
import { Atomic } from 'celeriac/typeorm';
import { drainOnCommit } from 'celeriac/typeorm';
import { onCommit } from 'celeriac/typeorm';
import { atomic } from 'celeriac/typeorm';
import {
  DRIVERS,
  ItemSchema,
  type Item,
  useCommitHooksDatabase,
  itemExists,
} from '../support/typeorm-drivers.js';

/**
 * The implicit `onCommit(fn)` (Django's form: no manager passed) finds the transaction however it
 * was opened, on every driver: it runs once after the commit and sees the row; a rollback drops
 * it; savepoints behave as Django's.
 */
type Form = (
  ds: DataSource,
  id: string,
  inTx: () => Promise<void>,
  commit: boolean,
) => Promise<unknown>;

const rollback = (): never => {
  throw new Error('rollback');
};
const insert = (m: EntityManager, id: string) => m.insert(ItemSchema, { id });
/** Called by the subscriber during `save()` of an item whose id is a key here. */
const duringSave = new Map<string, { inTx: () => Promise<void>; commit: boolean }>();

class Orders {
  constructor(readonly dataSource: DataSource) {}
  @Atomic()
  async place(
    id: string,
    inTx: () => Promise<void>,
    commit: boolean,
    @AtomicManager() manager?: EntityManager,
  ): Promise<void> {
    await insert(manager!, id);
    await inTx();
    if (!commit) rollback();
  }
}

const forms: Array<[string, Form]> = [
  [
    'dataSource.transaction()',
    (ds, id, inTx, commit) =>
      ds.transaction(async (m) => {
        await insert(m, id);
        await inTx();
        if (!commit) rollback();
      }),
  ],
  [
    'dataSource.manager.transaction() with an isolation level',
    (ds, id, inTx, commit) =>
      ds.manager.transaction('SERIALIZABLE', async (m) => {
        await insert(m, id);
        await inTx();
        if (!commit) rollback();
      }),
  ],
  [
    'a released savepoint (manager.transaction() inside a transaction)',
    (ds, id, inTx, commit) =>
      ds.transaction(async (m) => {
        await m.transaction(async (s) => {
          await insert(s, id);
          await inTx();
        });
        if (!commit) rollback();
      }),
  ],
  [
    'queryRunner.startTransaction() … commitTransaction()',
    async (ds, id, inTx, commit) => {
      const qr = ds.createQueryRunner();
      await qr.connect();
      await qr.startTransaction();
      try {
        await insert(qr.manager, id);
        await inTx();
        if (commit) await qr.commitTransaction();
        else await qr.rollbackTransaction();
      } finally {
        await qr.release();
      }
    },
  ],
  [
    'the implicit transaction of save(), seen from a subscriber',
    async (ds, id, inTx, commit) => {
      duringSave.set(id, { inTx, commit });
      try {
        await ds.getRepository(ItemSchema).save({ id });
      } finally {
        duringSave.delete(id);
      }
    },
  ],
  [
    'atomic()',
    (ds, id, inTx, commit) =>
      atomic(ds, async (m) => {
        await insert(m, id);
        await inTx();
        if (!commit) rollback();
      }),
  ],
  [
    '@Atomic() (manager from @AtomicManager())',
    (ds, id, inTx, commit) => new Orders(ds).place(id, inTx, commit),
  ],
];

describe.each(DRIVERS)('implicit onCommit(fn) on %s', (driver) => {
  const db = useCommitHooksDatabase(driver);
  const subscriber: EntitySubscriberInterface<Item> = {
    afterInsert: async (event: InsertEvent<Item>) => {
      const hook = duringSave.get(event.entity?.id ?? '');
      if (!hook) return;
      await hook.inTx();
      if (!hook.commit) rollback();
    },
  };

  beforeAll(() => {
    db.dataSource.subscribers.push(subscriber);
  });

  const exists = (id: string): Promise<boolean> => itemExists(db.dataSource, id);

  it.each(forms)(
    '%s: runs once after the commit and sees the row; never after a rollback',
    async (_name, form) => {
      for (const commit of [true, false]) {
        const id = randomUUID();
        const ran: boolean[] = [];
        let ranBeforeCommit = false;
        await form(
          db.dataSource,
          id,
          async () => {
            await onCommit(async () => void ran.push(await exists(id)));
            ranBeforeCommit = ran.length > 0;
          },
          commit,
        ).catch((error: Error) => {
          if (commit || error.message !== 'rollback') throw error;
        });
        await drainOnCommit();
        expect(ranBeforeCommit).toBe(false);
        expect(ran).toEqual(commit ? [true] : []);
        expect(await exists(id)).toBe(commit);
      }
    },
  );

  it('savepoints behave as Django: a rolled-back one drops its callbacks, a released one keeps them', async () => {
    const log: string[] = [];
    const push = (tag: string) => () => void log.push(tag);
    await db.dataSource.transaction(async (m) => {
      await onCommit(push('A'));
      await m.transaction(async () => onCommit(push('B')));
      await m
        .transaction(async (s) => {
          await onCommit(push('dropped'));
          await s.transaction(async () => onCommit(push('dropped too')));
          rollback();
        })
        .catch(() => undefined);
      await atomic(db.dataSource, async () => onCommit(push('C')));
      await atomic(db.dataSource, async () => {
        await onCommit(push('dropped by atomic'));
        rollback();
      }).catch(() => undefined);
      expect(log).toEqual([]);
      await onCommit(push('D'));
    });
    await drainOnCommit();
    expect(log).toEqual(['A', 'B', 'C', 'D']);

    // A manual runner: savepoints by nested startTransaction().
    const qr = db.dataSource.createQueryRunner();
    await qr.startTransaction();
    await onCommit(push('E'));
    await qr.startTransaction();
    await onCommit(push('dropped in manual savepoint'));
    await qr.rollbackTransaction();
    await qr.startTransaction();
    await onCommit(push('F'));
    await qr.commitTransaction();
    await qr.commitTransaction();
    await qr.release();
    await drainOnCommit();
    expect(log).toEqual(['A', 'B', 'C', 'D', 'E', 'F']);
  });

  it('atomic() inside a transaction opens a savepoint of it, not a second transaction', async () => {
    await db.dataSource.transaction(async (outer) => {
      await atomic(db.dataSource, async (inner) => {
        expect(inner.queryRunner).toBe(outer.queryRunner);
      });
    });
  });

  it('the code that called dataSource.transaction() does not see its transaction', async () => {
    const log: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const tx = db.dataSource.transaction(async () => {
      await onCommit(() => void log.push('in tx'));
      await held;
    });
    await onCommit(() => void log.push('outside'));
    expect(log).toEqual(['outside']);
    release();
    await tx;
    await drainOnCommit();
    expect(log).toEqual(['outside', 'in tx']);
  });

  it('captureOnCommitCallbacks records only the callbacks that would run', async () => {
    const { callbacks } = await captureOnCommitCallbacks(async () => {
      await db.dataSource.transaction(async (m) => {
        await onCommit(() => undefined, { name: 'kept' });
        await m
          .transaction(async () => {
            await onCommit(() => undefined, { name: 'savepoint rolled back' });
            rollback();
          })
          .catch(() => undefined);
      });
      await db.dataSource
        .transaction(async () => {
          await onCommit(() => undefined, { name: 'transaction rolled back' });
          rollback();
        })
        .catch(() => undefined);
      await onCommit(() => undefined, { name: 'no transaction' });
    });
    expect(callbacks.map((c) => c.name)).toEqual(['kept', 'no transaction']);
  });

  it.runIf(driver !== 'sqljs')(
    '50 concurrent random commit/rollback transactions run exactly the committed callbacks',
    async () => {
      const ran: string[] = [];
      const outcomes = Array.from({ length: 50 }, (_, i) => ({
        id: `c-${i}-${randomUUID().slice(0, 8)}`,
        commit: Math.random() < 0.5,
        form: forms[i % 4]![1],
      }));
      await Promise.all(
        outcomes.map(({ id, commit, form }) =>
          form(
            db.dataSource,
            id,
            async () => {
              await new Promise((r) => setTimeout(r, Math.random() * 20));
              await onCommit(() => void ran.push(id));
            },
            commit,
          ).catch(() => undefined),
        ),
      );
      await drainOnCommit();
      const committed = outcomes.filter((o) => o.commit).map((o) => o.id);
      expect([...ran].sort()).toEqual([...committed].sort());
    },
  );
});
