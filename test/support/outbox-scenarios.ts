import { Logger } from '@nestjs/common';
import type { DataSource, EntitySubscriberInterface } from 'typeorm';
import { afterEach, expect, it, vi } from 'vitest';
import { drainOnCommit } from 'celeriac/typeorm';
import { InvalidMessageError } from 'celeriac';
import { OutboxRelay } from '../../libs/task-queue/src/transaction/outbox/outbox.relay.js';
import { OutboxWriter } from '../../libs/task-queue/src/transaction/outbox/outbox.writer.js';
import { TaskOutbox } from 'celeriac/typeorm';
import { asBroker, message, RecordingBroker } from './outbox-fixtures.js';

/**
 * Outbox behaviour every supported database must show, declared inside a `describe` of a spec
 * that owns the DataSource (PostgreSQL, MariaDB): fast path, rollback, relay after a broker
 * outage, and two relays over 1,000 rows publishing each id exactly once.
 */
export function outboxScenarios(dataSource: () => DataSource): void {
  const relays: OutboxRelay[] = [];
  const count = (): Promise<number> => dataSource().getRepository(TaskOutbox).count();
  const relay = (
    broker: RecordingBroker,
    options: { batchSize?: number; pollIntervalMs?: number } = {},
  ): OutboxRelay => {
    const started = new OutboxRelay(dataSource(), asBroker(broker), {
      pollIntervalMs: 100,
      ...options,
    });
    relays.push(started);
    started.start();
    return started;
  };

  afterEach(async () => {
    vi.useRealTimers();
    vi.restoreAllMocks();
    for (const started of relays.splice(0)) await started.stop();
    await drainOnCommit();
    await dataSource().getRepository(TaskOutbox).clear();
  });

  it('fast path publishes after commit and deletes the row; a rollback publishes nothing', async () => {
    const broker = new RecordingBroker();
    const writer = new OutboxWriter({ broker: asBroker(broker) });
    const committed = message();
    await dataSource().transaction(async (m) => {
      await writer.write(m, committed, { queue: 'q' });
      expect(broker.published).toEqual([]);
    });
    await dataSource()
      .transaction(async (m) => {
        await writer.write(m, message(), { queue: 'q' });
        throw new Error('rollback');
      })
      .catch(() => undefined);
    await drainOnCommit();
    expect(broker.published).toEqual([committed.headers.id]);
    expect(await count()).toBe(0);
  });

  it('broker down at commit, back later: the relay publishes it; attempts and last_error recorded', async () => {
    const broker = new RecordingBroker();
    broker.down = true;
    const writer = new OutboxWriter({ broker: asBroker(broker), graceMs: 0 });
    const msg = message();
    await dataSource().transaction((m) => writer.write(m, msg, { queue: 'q' }));
    await drainOnCommit();
    const row = await dataSource()
      .getRepository(TaskOutbox)
      .findOneByOrFail({ id: msg.headers.id });
    expect(row).toMatchObject({ attempts: 1, lastError: 'broker unreachable', lockedBy: null });
    broker.down = false;
    relay(broker);
    await expect.poll(() => broker.published, { timeout: 10_000 }).toEqual([msg.headers.id]);
    await expect.poll(count).toBe(0);
  });

  it('relays the rows of a transaction in the order they were written, transactions in commit order', async () => {
    const writer = new OutboxWriter({ graceMs: 0 });
    const ids: string[] = [];
    // A coarse clock (or PostgreSQL's now(), the transaction start): every row ties on created_at;
    // then the clock steps back a second (NTP) in the middle of a transaction.
    const start = Date.now();
    vi.useFakeTimers({ toFake: ['Date'], now: start });
    for (let tx = 0; tx < 3; tx++) {
      await dataSource().transaction(async (m) => {
        for (let i = 0; i < 40; i++) {
          if (tx === 1 && i === 20) vi.setSystemTime(start - 1_000);
          const msg = message();
          ids.push(msg.headers.id);
          await writer.write(m, msg, { queue: 'q' });
        }
      });
    }
    vi.useRealTimers();
    const broker = new RecordingBroker();
    relay(broker, { batchSize: 7 });
    await expect.poll(() => broker.published.length, { timeout: 20_000 }).toBe(ids.length);
    expect(broker.published).toEqual(ids);
  });

  it('a row the broker refuses does not hold back the rows behind it; it waits for its retry', async () => {
    const writer = new OutboxWriter({ graceMs: 0 });
    const [first, refused, last] = [message(), message(), message()];
    await dataSource().transaction(async (m) => {
      for (const msg of [first, refused, last]) await writer.write(m, msg, { queue: 'q' });
    });
    const broker = new RecordingBroker();
    broker.refused.add(refused.headers.id);
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    relay(broker);
    await expect
      .poll(() => broker.published, { timeout: 10_000 })
      .toEqual([first.headers.id, last.headers.id]);
    const row = await dataSource()
      .getRepository(TaskOutbox)
      .findOneByOrFail({ id: refused.headers.id });
    expect(row).toMatchObject({ lastError: 'message refused', lockedBy: null });
    expect(row.relayAfter.getTime()).toBeGreaterThan(Date.now());
    const lines = warn.mock.calls.map(([line]) => String(line));
    expect(
      lines.some((line) =>
        line.includes(`DELETE FROM task_outbox WHERE id = '${refused.headers.id}'`),
      ),
    ).toBe(true);
    broker.refused.clear();
  });

  it('a queue, task name or task id too long for task_outbox is refused before the INSERT, with what to do', async () => {
    const writer = new OutboxWriter({ graceMs: 0 });
    const long = 'x'.repeat(300);
    const named = message();
    named.headers.task = long;
    const kept = message();
    await dataSource().transaction(async (m) => {
      await expect(writer.write(m, message(), { queue: long })).rejects.toThrow(
        /queue name is 300 characters long; the task_outbox table holds at most 255/,
      );
      await expect(writer.write(m, named, { queue: 'q' })).rejects.toBeInstanceOf(
        InvalidMessageError,
      );
      await expect(writer.write(m, message(long), { queue: 'q' })).rejects.toThrow(/task id/);
      // The transaction is still usable: nothing reached the database.
      await writer.write(m, kept, { queue: 'q' });
    });
    expect((await dataSource().getRepository(TaskOutbox).find()).map((row) => row.id)).toEqual([
      kept.headers.id,
    ]);
  });

  it('a broker that answers ping but refuses every publish: the round stops after two rows', async () => {
    const writer = new OutboxWriter({ graceMs: 0 });
    const ids: string[] = [];
    await dataSource().transaction(async (m) => {
      for (let i = 0; i < 20; i++) {
        const msg = message();
        ids.push(msg.headers.id);
        await writer.write(m, msg, { queue: 'q' });
      }
    });
    const broker = new RecordingBroker();
    broker.refuseAll = true;
    const publish = vi.spyOn(broker, 'publish');
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const relay = new OutboxRelay(dataSource(), asBroker(broker), { batchSize: 20 });
    expect(await relay.relayOnce()).toBe(20);
    // Two rows, each tried twice; before, every claimed row (40 publishes, each a publish
    // timeout against a blocked broker).
    expect(publish).toHaveBeenCalledTimes(4);
    expect(warn.mock.calls.some(([line]) => /stopped this round/.test(String(line)))).toBe(true);
    const rows = await dataSource().getRepository(TaskOutbox).find();
    const tried = rows.filter((row) => row.lastError !== null).map((row) => row.id);
    expect(tried.sort()).toEqual(ids.slice(0, 2).sort());
    const rest = rows.filter((row) => row.lastError === null);
    expect(rest).toHaveLength(18);
    expect(rest.every((row) => row.attempts === 0 && row.lockedBy === null)).toBe(true);
  });

  it('a relay round deletes the rows it published in one statement, not one commit per row', async () => {
    const writer = new OutboxWriter({ graceMs: 0 });
    await dataSource().transaction(async (m) => {
      for (let i = 0; i < 50; i++) await writer.write(m, message(), { queue: 'q' });
    });
    const deletes: string[] = [];
    const counter: EntitySubscriberInterface = {
      afterQuery: (event) => {
        if (/^DELETE FROM\b.*task_outbox/is.test(event.query)) deletes.push(event.query);
      },
    };
    dataSource().subscribers.push(counter);
    try {
      const broker = new RecordingBroker();
      const relay = new OutboxRelay(dataSource(), asBroker(broker), { batchSize: 50 });
      expect(await relay.relayOnce()).toBe(50);
      expect(broker.published).toHaveLength(50);
    } finally {
      dataSource().subscribers.splice(dataSource().subscribers.indexOf(counter), 1);
    }
    // Before: 50 DELETEs, each its own commit (about 300 rows/s drained after an outage).
    expect(deletes).toHaveLength(1);
    expect(await count()).toBe(0);
  });

  it('busy writers next to two relays and the fast path: no transaction of the app fails, no relay round either', async () => {
    // MySQL/MariaDB: relay statements used to take gap locks (REPEATABLE READ) and deadlock with
    // the app's transactions inserting outbox rows, which InnoDB then rolled back.
    const broker = new RecordingBroker();
    const writer = new OutboxWriter({ broker: asBroker(broker), graceMs: 0 });
    const error = vi.spyOn(Logger.prototype, 'error');
    relay(broker, { batchSize: 10, pollIntervalMs: 5 });
    relay(broker, { batchSize: 10, pollIntervalMs: 5 });
    const ids: string[] = [];
    const failures: unknown[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let t = 0; t < 25; t++) {
          await dataSource()
            .transaction(async (m) => {
              for (let i = 0; i < 3; i++) {
                const msg = message();
                await writer.write(m, msg, { queue: 'q' });
                ids.push(msg.headers.id);
              }
            })
            .catch((failure: unknown) => failures.push(failure));
        }
      }),
    );
    await drainOnCommit();
    expect(failures.map(String)).toEqual([]);
    await expect.poll(() => new Set(broker.published).size, { timeout: 30_000 }).toBe(ids.length);
    await expect.poll(count, { timeout: 30_000 }).toBe(0);
    expect(error.mock.calls.map(([line]) => String(line))).toEqual([]);
  });

  it('two relays over 1,000 rows publish each id exactly once', async () => {
    const writer = new OutboxWriter({ graceMs: 0 });
    const ids: string[] = [];
    await dataSource().transaction(async (m) => {
      for (let i = 0; i < 1000; i++) {
        const msg = message();
        ids.push(msg.headers.id);
        await writer.write(m, msg, { queue: 'q' });
      }
    });
    const broker = new RecordingBroker();
    relay(broker, { batchSize: 50 });
    relay(broker, { batchSize: 50 });
    await expect.poll(() => broker.published.length, { timeout: 30_000 }).toBe(1000);
    expect(new Set(broker.published).size).toBe(1000);
    expect([...broker.published].sort()).toEqual([...ids].sort());
    await expect.poll(count).toBe(0);
  });
}
