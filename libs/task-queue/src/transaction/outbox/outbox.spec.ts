import { Logger } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DataSource } from 'typeorm';
import { OutboxTableMissingError } from '../../errors/outbox-table-missing.error.js';
import type { Broker } from '../../contracts/broker.interface.js';
import type { TaskMessage } from '../../contracts/task-message.interface.js';
import { openSqljsOutbox } from '../../__fixtures__/outbox-sqljs.fixture.js';
import { drainOnCommit } from '../commit-hooks.runner.js';
import { OutboxRelay } from './outbox.relay.js';
import { OutboxWriter } from './outbox.writer.js';
import { TaskOutbox } from './task-outbox.entity.js';

const message = (id: string): TaskMessage =>
  ({
    headers: { id, task: 't' },
    properties: {},
    body: '[]',
    contentType: 'application/json',
    contentEncoding: 'utf-8',
  }) as unknown as TaskMessage;

describe('outbox (sql.js, polling claims)', () => {
  let dataSource: DataSource;
  const published: string[] = [];
  const broker = {
    publish: async (m: TaskMessage) => void published.push(m.headers.id),
  } as unknown as Broker;

  beforeAll(async () => {
    dataSource = await openSqljsOutbox();
  });
  afterAll(() => dataSource.destroy());

  it('writes in the transaction and the fast path publishes and deletes', async () => {
    await dataSource.transaction((m) =>
      new OutboxWriter({ broker }).write(m, message('a'), { queue: 'q', priority: 3 }),
    );
    await drainOnCommit();
    expect(published).toEqual(['a']);
    expect(await dataSource.getRepository(TaskOutbox).count()).toBe(0);
  });

  it('a late fast path claims the row first, and skips a row a relay holds', async () => {
    const writer = new OutboxWriter({ broker, graceMs: 0 });
    await dataSource.transaction(async (m) => {
      await writer.write(m, message('late'), { queue: 'q' });
      await writer.write(m, message('held'), { queue: 'q' });
      await m.update(
        TaskOutbox,
        { id: 'held' },
        { lockedBy: 'relay', lockedUntil: new Date(Date.now() + 60_000) },
      );
    });
    await drainOnCommit();
    expect(published).toEqual(['a', 'late']);
    const left = await dataSource.getRepository(TaskOutbox).find();
    expect(left.map((row) => [row.id, row.lockedBy])).toEqual([['held', 'relay']]);
    published.splice(1);
    await dataSource.getRepository(TaskOutbox).clear();
  });

  it('the relay publishes rows left behind', async () => {
    await dataSource.transaction((m) =>
      new OutboxWriter({ graceMs: 0 }).write(m, message('b'), { queue: 'q' }),
    );
    const relay = new OutboxRelay(dataSource, broker);
    expect(await relay.relayOnce()).toBe(1);
    expect(published).toEqual(['a', 'b']);
    expect(await dataSource.getRepository(TaskOutbox).count()).toBe(0);
  });

  it('the relay keeps the order the rows were written in, through a clock stepping back', async () => {
    const start = Date.now();
    vi.useFakeTimers({ toFake: ['Date'], now: start });
    try {
      await dataSource.transaction(async (m) => {
        const writer = new OutboxWriter({ graceMs: 0 });
        await writer.write(m, message('o3'), { queue: 'q' });
        vi.setSystemTime(start - 1_000); // the clock steps back
        for (const id of ['o1', 'o2']) await writer.write(m, message(id), { queue: 'q' });
      });
    } finally {
      vi.useRealTimers();
    }
    const before = published.length;
    const relay = new OutboxRelay(dataSource, broker, { batchSize: 2 });
    expect(await relay.relayOnce()).toBe(2);
    expect(await relay.relayOnce()).toBe(1);
    expect(published.slice(before)).toEqual(['o3', 'o1', 'o2']);
  });

  it('a relay whose rounds keep failing logs the failure once, and its recovery', async () => {
    const errors = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const logs = vi.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    const rounds = vi.spyOn(OutboxRelay.prototype, 'relayOnce');
    await dataSource.query('ALTER TABLE task_outbox RENAME TO task_outbox_away');
    const relay = new OutboxRelay(dataSource, broker, { pollIntervalMs: 5, listen: false });
    try {
      relay.start();
      await expect.poll(() => rounds.mock.calls.length).toBeGreaterThanOrEqual(5);
      await dataSource.query('ALTER TABLE task_outbox_away RENAME TO task_outbox');
      await expect
        .poll(() => logs.mock.calls.some(([line]) => /relay recovered/.test(String(line))))
        .toBe(true);
      const failures = errors.mock.calls.filter(([line]) =>
        /relay round failed/.test(String(line)),
      );
      expect(failures).toHaveLength(1);
      expect(String(failures[0]![0])).toMatch(/migration/);
    } finally {
      await relay.stop();
      vi.restoreAllMocks();
    }
  });

  it('says to run the migration when the table is missing', async () => {
    const empty = new DataSource({ type: 'sqljs', entities: [TaskOutbox] });
    await empty.initialize();
    await expect(
      new OutboxWriter().write(empty.manager, message('c'), { queue: 'q' }),
    ).rejects.toBeInstanceOf(OutboxTableMissingError);
    await empty.destroy();
  });
});
