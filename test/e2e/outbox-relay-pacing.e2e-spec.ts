import { Logger } from '@nestjs/common';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { QueryRunner } from 'typeorm';
import { TaskOutbox } from 'celeriac/typeorm';
import { OutboxRelay } from '../../libs/task-queue/src/transaction/outbox/outbox.relay.js';
import { OutboxWriter } from '../../libs/task-queue/src/transaction/outbox/outbox.writer.js';
import { asBroker, message, RecordingBroker } from '../support/outbox-fixtures.js';
import { openTestDatabase, type TestDatabase } from '../support/typeorm-drivers.js';

// How long the relay sleeps after a round that could not relay what is due.
//
// A due row that another session holds locked (an operator's open `SELECT … FOR UPDATE` or
// UPDATE in psql, an app transaction touching the row): the relay's claim skips it (SKIP
// LOCKED), and its next-due time is in the past. The relay used to take that as "due now" and
// ran a claim round every 10 ms for as long as the lock was held.
describe.each(['postgres', 'mariadb'] as const)('outbox relay pacing (%s)', (driver) => {
  let db: TestDatabase;
  let relay: OutboxRelay | undefined;
  let holder: QueryRunner | undefined;
  beforeAll(async () => {
    db = await openTestDatabase(driver, [TaskOutbox]);
  }, 60_000);
  afterEach(async () => {
    await relay?.stop();
    if (holder?.isTransactionActive) await holder.rollbackTransaction();
    await holder?.release();
    vi.restoreAllMocks();
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it('next to a row another session holds locked: waits its poll interval, not a busy loop', async () => {
    const msg = message();
    const writer = new OutboxWriter({ graceMs: 0 });
    await db.dataSource.transaction((m) => writer.write(m, msg, { queue: 'q' }));
    holder = db.dataSource.createQueryRunner();
    await holder.connect();
    await holder.startTransaction();
    const param = driver === 'postgres' ? '$1' : '?';
    await holder.query(`SELECT id FROM task_outbox WHERE id = ${param} FOR UPDATE`, [
      msg.headers.id,
    ]);

    const broker = new RecordingBroker();
    const pollIntervalMs = 60_000;
    relay = new OutboxRelay(db.dataSource, asBroker(broker), { pollIntervalMs, listen: false });
    const sleeps = vi.spyOn(relay as unknown as { sleep(ms: number): Promise<void> }, 'sleep');
    relay.start();
    await vi.waitFor(() => expect(sleeps).toHaveBeenCalled(), { timeout: 10_000 });
    expect(broker.published).toEqual([]);
    expect(sleeps.mock.calls[0]![0]).toBe(pollIntervalMs);

    // Once the lock is gone, the next round (woken here as NOTIFY would) relays the row.
    await holder.rollbackTransaction();
    (relay as unknown as { wake?: () => void }).wake?.();
    await vi.waitFor(() => expect(broker.published).toEqual([msg.headers.id]), {
      timeout: 10_000,
    });
  });

  it('after a round stopped by rows failing one after another: waits its poll interval', async () => {
    // A broker that answers ping but refuses every publish (a RabbitMQ resource alarm): the
    // round stops after two rows and leaves the rest pending in place, due at once.
    const writer = new OutboxWriter({ graceMs: 0 });
    await db.dataSource.transaction(async (m) => {
      for (let i = 0; i < 5; i++) await writer.write(m, message(), { queue: 'q' });
    });
    const broker = new RecordingBroker();
    broker.refuseAll = true;
    vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const pollIntervalMs = 60_000;
    relay = new OutboxRelay(db.dataSource, asBroker(broker), { pollIntervalMs, listen: false });
    const sleeps = vi.spyOn(relay as unknown as { sleep(ms: number): Promise<void> }, 'sleep');
    relay.start();
    await vi.waitFor(() => expect(sleeps).toHaveBeenCalled(), { timeout: 10_000 });
    expect(sleeps.mock.calls[0]![0]).toBe(pollIntervalMs);
    await relay.stop();
    await db.dataSource.getRepository(TaskOutbox).clear();
  });
});
