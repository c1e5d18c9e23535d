import { AsyncLocalStorage } from 'node:async_hooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { drainOnCommit } from 'celeriac/typeorm';
import { installCommitHooks } from 'celeriac/typeorm';
import { onCommit, resolveCurrentManager, atomic } from 'celeriac/typeorm';
import { dropSchema, openSchemaDataSource, uniqueSchema } from '../support/typeorm-postgres.js';

const schema = uniqueSchema('oncommit');
let dataSource: DataSource;
let log: string[];
const push = (tag: string) => () => void log.push(tag);

beforeAll(async () => {
  dataSource = await openSchemaDataSource(schema);
  installCommitHooks(dataSource);
  await dataSource.query('CREATE TABLE item (id text PRIMARY KEY)');
});
afterEach(async () => {
  await drainOnCommit();
  log = [];
});
afterAll(async () => {
  await dataSource?.destroy();
  await dropSchema(schema);
});

describe('onCommit on PostgreSQL', () => {
  log = [];

  it('runs after commit, in order, with savepoint semantics', async () => {
    await dataSource.transaction(async (m) => {
      await onCommit(m, push('A'));
      await m.transaction(async (s) => onCommit(s, push('B')));
      await m
        .transaction(async (s) => {
          await onCommit(s, push('dropped'));
          await s.transaction(async (s2) => onCommit(s2, push('dropped too')));
          throw new Error('rollback savepoint');
        })
        .catch(() => undefined);
      expect(log).toEqual([]);
      await onCommit(m, push('C'));
    });
    await drainOnCommit();
    expect(log).toEqual(['A', 'B', 'C']);
  });

  it('drops everything on rollback', async () => {
    await dataSource
      .transaction(async (m) => {
        await m.transaction(async (s) => onCommit(s, push('B')));
        throw new Error('outer');
      })
      .catch(() => undefined);
    await drainOnCommit();
    expect(log).toEqual([]);
  });

  it('works with a manual QueryRunner', async () => {
    const qr = dataSource.createQueryRunner();
    await qr.connect();
    await qr.startTransaction();
    await onCommit(qr.manager, push('manual'));
    await qr.commitTransaction();
    await qr.release();
    await drainOnCommit();
    expect(log).toEqual(['manual']);
  });

  it('runs callbacks after the connection is released (pool of one, no deadlock)', async () => {
    const single = await openSchemaDataSource(schema, {
      extra: { options: `-c search_path=${schema}`, max: 1 },
    });
    const results: unknown[] = [];
    await single.transaction(async (m) => {
      await onCommit(m, async () => {
        results.push(await single.query('SELECT 1 AS one'));
      });
    });
    await drainOnCommit();
    expect(results).toEqual([[{ one: 1 }]]);
    await single.destroy();
  });

  it('runs callbacks outside the transaction context, keeping other context', async () => {
    const requestId = new AsyncLocalStorage<string>();
    const seen: unknown[] = [];
    await requestId.run('r1', () =>
      atomic(dataSource, async () => {
        await onCommit(async () => {
          seen.push(resolveCurrentManager(), requestId.getStore());
        });
      }),
    );
    expect(seen).toEqual([undefined, 'r1']);
  });

  it('discards callbacks when PostgreSQL turns COMMIT into ROLLBACK (aborted transaction)', async () => {
    await dataSource.query(`INSERT INTO item VALUES ('dup')`);
    await dataSource.transaction(async (m) => {
      await m.query(`INSERT INTO item VALUES ('ghost')`);
      await m.query(`INSERT INTO item VALUES ('dup')`).catch(() => undefined);
      await onCommit(m, push('must not run')).catch(() => undefined);
    });
    await drainOnCommit();
    expect(log).toEqual([]);
    expect(await dataSource.query(`SELECT id FROM item WHERE id = 'ghost'`)).toEqual([]);
  });

  it('control: the same failure inside a savepoint leaves a real commit', async () => {
    await dataSource.transaction(async (m) => {
      await m.query(`INSERT INTO item VALUES ('real')`);
      await m.transaction((s) => s.query(`INSERT INTO item VALUES ('dup')`)).catch(() => undefined);
      await onCommit(m, push('runs'));
    });
    await drainOnCommit();
    expect(log).toEqual(['runs']);
  });

  it('siblings in one context: only the committed one dispatches', async () => {
    await atomic(dataSource, async () => {
      await Promise.all([
        dataSource.transaction(async (m) => onCommit(m, push('sibling ok'))),
        dataSource
          .transaction(async (m) => {
            await onCommit(m, push('sibling rolled back'));
            throw new Error('no');
          })
          .catch(() => undefined),
      ]);
    });
    expect(log).toEqual(['sibling ok']);
  });

  it('50 concurrent requests: exactly the committed ones dispatch, no context leaks', async () => {
    const requestId = new AsyncLocalStorage<string>();
    const ran: Array<[string, string | undefined]> = [];
    const outcomes = Array.from({ length: 50 }, (_, i) => ({
      id: `req-${i}`,
      commit: Math.random() < 0.5,
    }));
    await Promise.all(
      outcomes.map(({ id, commit }) =>
        requestId.run(id, () =>
          atomic(dataSource, async (m) => {
            await m.query('INSERT INTO item VALUES ($1)', [id]);
            await new Promise((r) => setTimeout(r, Math.random() * 20));
            await onCommit(() => void ran.push([id, requestId.getStore()]));
            if (!commit) throw new Error('rollback');
          }).catch(() => undefined),
        ),
      ),
    );
    await drainOnCommit();
    const rows: Array<{ id: string }> = await dataSource.query(
      `SELECT id FROM item WHERE id LIKE 'req-%'`,
    );
    expect(ran.map(([id]) => id).sort()).toEqual(rows.map((r) => r.id).sort());
    expect(ran.map(([id]) => id).sort()).toEqual(
      outcomes
        .filter((o) => o.commit)
        .map((o) => o.id)
        .sort(),
    );
    for (const [id, seen] of ran) expect(seen).toBe(id);
  });
});
