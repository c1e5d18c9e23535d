import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { Logger } from '@nestjs/common';
import { describe, expect, it, vi } from 'vitest';
import { DurableTransactionError } from 'celeriac';
import {
  atomic,
  drainOnCommit,
  installCommitHooks,
  onCommit,
  uninstallCommitHooks,
} from 'celeriac/typeorm';
import { trackedTransactions } from '../../libs/task-queue/src/transaction/transaction-tracking.js';
import { TaskOutbox } from 'celeriac/typeorm';
import { OutboxRelay } from '../../libs/task-queue/src/transaction/outbox/outbox.relay.js';
import { OutboxWriter } from '../../libs/task-queue/src/transaction/outbox/outbox.writer.js';
import { asBroker, message, RecordingBroker } from '../support/outbox-fixtures.js';
import {
  ItemSchema,
  openTestDatabase,
  useCommitHooksDatabase,
  itemExists,
} from '../support/typeorm-drivers.js';

/** Resolves when `open()` is called: lets two transactions interleave without sleeps. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

describe.each(['postgres', 'mariadb'] as const)('onCommit probes on %s', (driver) => {
  const db = useCommitHooksDatabase(driver, [TaskOutbox]);
  const exists = (id: string): Promise<boolean> => itemExists(db.dataSource, id);

  /**
   * Two transactions that deadlock on rows a and b; each swallows the error of its second
   * update (code that "logs and goes on") and then calls `after`. Returns the markers of the
   * transactions whose writes were really committed (one: the other was the deadlock victim).
   */
  async function deadlock(after: (m: EntityManager, marker: string) => Promise<unknown>) {
    const [a, b] = [randomUUID(), randomUUID()];
    await db.dataSource.getRepository(ItemSchema).insert([{ id: a }, { id: b }]);
    const locked = [gate(), gate()];
    const markers = [randomUUID(), randomUUID()];
    const update = (m: EntityManager, id: string) => m.update(ItemSchema, { id }, { id });
    const body = (me: 0 | 1) => async (m: EntityManager) => {
      await m.insert(ItemSchema, { id: markers[me]! });
      await update(m, me === 0 ? a : b);
      locked[me]!.open();
      await locked[1 - me]!.wait;
      try {
        await update(m, me === 0 ? b : a); // one of the two is the deadlock victim
      } catch {
        // Swallowed.
      }
      await after(m, markers[me]!);
    };
    await Promise.all([
      db.dataSource.transaction(body(0)).catch(() => undefined),
      db.dataSource.transaction(body(1)).catch(() => undefined),
    ]);
    await drainOnCommit();
    const committed: string[] = [];
    for (const marker of markers) if (await exists(marker)) committed.push(marker);
    expect(committed.length).toBe(1);
    return { markers, committed };
  }

  it('a deadlock whose error was caught: callbacks run only if the transaction really committed', async () => {
    const ran: string[] = [];
    const { committed } = await deadlock((_m, marker) => onCommit(() => void ran.push(marker)));
    expect(ran).toEqual(committed);
  });

  it('outbox: a deadlock whose error was caught leaves no row and publishes nothing for the victim', async () => {
    const broker = new RecordingBroker();
    const writer = new OutboxWriter({ broker: asBroker(broker) });
    const tasks = new Map<string, string>();
    const { committed } = await deadlock(async (m, marker) => {
      const msg = message();
      tasks.set(msg.headers.id, marker);
      await writer.write(m, msg, { queue: 'q' });
    });
    await drainOnCommit();
    expect(broker.published.map((id) => tasks.get(id))).toEqual(committed);
    const left = await db.dataSource.getRepository(TaskOutbox).find();
    expect(left).toEqual([]);
  });

  it('strict mode: a callback that registers another onCommit runs it at once (it runs after the commit)', async () => {
    const ran: string[] = [];
    const errors: unknown[] = [];
    await db.dataSource.transaction(async () => {
      await onCommit(
        async () => {
          ran.push('outer');
          await onCommit(() => void ran.push('nested'), { strict: true }).catch((error) =>
            errors.push(error),
          );
        },
        { strict: true },
      );
    });
    await drainOnCommit();
    expect(errors).toEqual([]);
    expect(ran).toEqual(['outer', 'nested']);
  });

  it('two DataSources: a callback follows the commit of the transaction it was registered with', async () => {
    const other = await openTestDatabase(driver);
    installCommitHooks(other.dataSource);
    try {
      const ran: string[] = [];
      await db.dataSource.transaction(async (a) => {
        await other.dataSource
          .transaction(async (b) => {
            await onCommit(b, () => void ran.push('B rolled back'));
            await onCommit(() => void ran.push('implicit B rolled back'));
            throw new Error('rollback B');
          })
          .catch(() => undefined);
        await onCommit(() => void ran.push('implicit A'));
        await onCommit(a, () => void ran.push('A'));
      });
      await other.dataSource
        .transaction(async (b) => {
          await db.dataSource.transaction(async () => {
            await onCommit(b, () => void ran.push('B, A committed'));
            await onCommit(() => void ran.push('implicit A committed'));
          });
          throw new Error('rollback B');
        })
        .catch(() => undefined);
      await drainOnCommit();
      expect(ran).toEqual(['implicit A', 'A', 'implicit A committed']);
    } finally {
      uninstallCommitHooks(other.dataSource);
      await other.dispose();
    }
  });

  it('connection killed in the transaction: nothing runs, and the DataSource still works', async () => {
    const ran: string[] = [];
    const outcome = await db.dataSource
      .transaction(async (m) => {
        await m.insert(ItemSchema, { id: randomUUID() });
        await onCommit(() => void ran.push('killed'));
        const [{ id }] = (await m.query(
          driver === 'postgres' ? 'SELECT pg_backend_pid() AS id' : 'SELECT CONNECTION_ID() AS id',
        )) as Array<{ id: number }>;
        await db.dataSource.query(
          driver === 'postgres' ? `SELECT pg_terminate_backend(${id})` : `KILL ${id}`,
        );
      })
      .then(
        () => 'resolved',
        () => 'rejected',
      );
    expect(outcome).toBe('rejected');
    await db.dataSource.transaction(async () => onCommit(() => void ran.push('next')));
    await drainOnCommit();
    expect(ran).toEqual(['next']);
  });

  it('a COMMIT that fails (deferred constraint, PostgreSQL): nothing runs', async () => {
    if (driver !== 'postgres') return;
    await db.dataSource.query(
      'CREATE TABLE IF NOT EXISTS deferred_child (parent text REFERENCES item (id) DEFERRABLE INITIALLY DEFERRED)',
    );
    const ran: string[] = [];
    const failed = await db.dataSource
      .transaction(async (m) => {
        await m.query('INSERT INTO deferred_child (parent) VALUES ($1)', [randomUUID()]);
        await onCommit(() => void ran.push('commit failed'));
        await m.transaction(async () => onCommit(() => void ran.push('released savepoint')));
      })
      .then(
        () => false,
        () => true,
      );
    await drainOnCommit();
    expect(failed).toBe(true);
    expect(ran).toEqual([]);
  });

  it("atomic({ durable: true }) refuses to nest, as Django's atomic(durable=True)", async () => {
    const ran: string[] = [];
    await atomic(
      db.dataSource,
      async () => {
        await onCommit(() => void ran.push('durable'));
        await expect(
          atomic(db.dataSource, async () => void ran.push('nested body'), { durable: true }),
        ).rejects.toBeInstanceOf(DurableTransactionError);
      },
      { durable: true },
    );
    await expect(
      db.dataSource.transaction(() =>
        atomic(db.dataSource, async () => void ran.push('in dataSource.transaction'), {
          durable: true,
        }),
      ),
    ).rejects.toBeInstanceOf(DurableTransactionError);
    expect(ran).toEqual(['durable']);
  });

  it('outbox: one transaction with 2,000 tasks publishes each once, in order, and empties the table', async () => {
    const broker = new RecordingBroker();
    const writer = new OutboxWriter({ broker: asBroker(broker) });
    const ids: string[] = [];
    await db.dataSource.transaction(async (m) => {
      for (let i = 0; i < 2000; i++) {
        const msg = message();
        ids.push(msg.headers.id);
        await writer.write(m, msg, { queue: 'q' });
      }
    });
    await drainOnCommit();
    expect(broker.published).toEqual(ids);
    expect(await db.dataSource.getRepository(TaskOutbox).count()).toBe(0);
  });

  it('a repository outside the transaction (injected) saves on its own; onCommit after it still follows the outer transaction', async () => {
    const repo = db.dataSource.getRepository(ItemSchema); // what @InjectRepository() gives
    const ran: string[] = [];
    await db.dataSource
      .transaction(async () => {
        await repo.save({ id: randomUUID() });
        await onCommit(() => void ran.push('outer rolled back'));
        throw new Error('rollback');
      })
      .catch(() => undefined);
    await db.dataSource.transaction(async () => {
      await repo.save({ id: randomUUID() });
      await onCommit(() => void ran.push('outer committed'));
    });
    await drainOnCommit();
    expect(ran).toEqual(['outer committed']);
  });

  it('relay with the broker down: the round stops at the first row, keeps every row in place, and logs one warning', async () => {
    const writer = new OutboxWriter({ graceMs: 0 });
    const ids: string[] = [];
    await db.dataSource.transaction(async (m) => {
      for (let i = 0; i < 20; i++) {
        const msg = message();
        ids.push(msg.headers.id);
        await writer.write(m, msg, { queue: 'q' });
      }
    });
    const broker = new RecordingBroker();
    broker.down = true;
    const publish = vi.spyOn(broker, 'publish');
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const relay = new OutboxRelay(db.dataSource, asBroker(broker), { batchSize: 20 });
      expect(await relay.relayOnce()).toBe(20);
      expect(publish).toHaveBeenCalledTimes(1);
      expect(
        warn.mock.calls.filter(([line]) => /outbox|Publishing/i.test(String(line))),
      ).toHaveLength(1);
    } finally {
      warn.mockRestore();
    }
    const rows = await db.dataSource.getRepository(TaskOutbox).find();
    expect(rows).toHaveLength(20);
    const first = rows.find((row) => row.id === ids[0]);
    expect(first).toMatchObject({ attempts: 1, lastError: 'broker unreachable', lockedBy: null });
    const rest = rows.filter((row) => row.id !== ids[0]);
    expect(rest.every((row) => row.attempts === 0 && row.lastError === null)).toBe(true);
    expect(rows.every((row) => row.lockedBy === null && row.relayAfter <= new Date())).toBe(true);
    await db.dataSource.getRepository(TaskOutbox).clear();
  });

  it('a loop of manual transactions in one async function does not grow the context chain', async () => {
    const qr = db.dataSource.createQueryRunner();
    await qr.connect();
    try {
      for (let i = 0; i < 200; i++) {
        await qr.startTransaction();
        await onCommit(qr.manager, () => undefined);
        await qr.commitTransaction();
      }
      let depth = 0;
      for (let l = trackedTransactions.getStore(); l; l = l.parent) depth++;
      expect(depth).toBeLessThan(5);
    } finally {
      await qr.release();
    }
  });
});
