import { Logger } from '@nestjs/common';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { TaskOutbox } from 'celeriac/typeorm';
import { OutboxRelay } from '../../libs/task-queue/src/transaction/outbox/outbox.relay.js';
import { OutboxWriter } from '../../libs/task-queue/src/transaction/outbox/outbox.writer.js';
import { asBroker, message, RecordingBroker } from '../support/outbox-fixtures.js';
import { DRIVERS, openTestDatabase, type TestDatabase } from '../support/typeorm-drivers.js';

// Rows whose content no publish can fix (a message that is not JSON, not a task message, or
// names another task id; written by hand, cut short, or emptied): the relay dead-letters them
// at once with an ERROR saying what is wrong, instead of retrying them for minutes as if the
// broker had refused them; a bad trace context does not stop the task.

describe.each(DRIVERS.filter((d) => d !== 'sqljs'))(
  'outbox relay: rows with bad content (%s)',
  (driver) => {
    let db: TestDatabase;
    let relay: OutboxRelay | undefined;

    beforeAll(async () => {
      db = await openTestDatabase(driver, [TaskOutbox]);
    }, 60_000);
    afterEach(async () => {
      await relay?.stop();
      vi.restoreAllMocks();
    });
    afterAll(async () => {
      await db?.dispose();
    });

    it('dead-letters them at once, naming the problem, and publishes the rows around them', async () => {
      const errors: string[] = [];
      vi.spyOn(Logger.prototype, 'error').mockImplementation((line: unknown) => {
        errors.push(String(line));
      });
      vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      const [first, notJson, notMessage, otherId, nullProperties, badTrace, last] = Array.from(
        { length: 7 },
        () => message(),
      );
      const writer = new OutboxWriter({ graceMs: 0 });
      await db.dataSource.transaction(async (m) => {
        for (const msg of [first, notJson, notMessage, otherId, nullProperties, badTrace, last])
          await writer.write(m, msg, { queue: 'outbox-bad-row' });
      });
      const repo = db.dataSource.getRepository(TaskOutbox);
      await repo.update(notJson.headers.id, { message: '{"headers": {"id"' });
      await repo.update(notMessage.headers.id, { message: '{}' });
      await repo.update(otherId.headers.id, { message: JSON.stringify(message('someone-else')) });
      await repo.update(nullProperties.headers.id, {
        message: JSON.stringify({ ...nullProperties, properties: null }),
      });
      await repo.update(badTrace.headers.id, { traceContext: 'not json' });

      const broker = new RecordingBroker();
      const publish = broker.publish.bind(broker);
      // As the Redis and AMQP brokers do: they read the message's properties (its priority).
      vi.spyOn(broker, 'publish').mockImplementation((msg, options) => {
        void msg.properties.priority;
        return publish(msg, options);
      });
      relay = new OutboxRelay(db.dataSource, asBroker(broker), {
        pollIntervalMs: 50,
        listen: false,
      });
      relay.start();
      await vi.waitFor(() => expect(broker.published).toContain(last.headers.id), {
        timeout: 10_000,
      });
      await relay.stop();

      expect(broker.published).toEqual([first.headers.id, badTrace.headers.id, last.headers.id]);
      const rows = await repo.find({ order: { seq: 'ASC' } });
      expect(rows.map((r) => [r.id, r.lockedBy])).toEqual([
        [notJson.headers.id, 'dead-letter'],
        [notMessage.headers.id, 'dead-letter'],
        [otherId.headers.id, 'dead-letter'],
        [nullProperties.headers.id, 'dead-letter'],
      ]);
      expect(rows[0]!.lastError).toMatch(/not JSON/);
      expect(rows[1]!.lastError).toMatch(/headers/);
      expect(rows[2]!.lastError).toMatch(/someone-else/);
      expect(rows[3]!.lastError).toMatch(/properties/);
      expect(rows[3]!.attempts).toBe(1);
      const deadLettered = errors.filter((line) => line.includes('dead-lettered'));
      expect(deadLettered).toHaveLength(4);
      expect(deadLettered[0]).toContain(notJson.headers.id);
      expect(deadLettered[0]).toContain('not a task message this relay can publish');
      expect(deadLettered[0]).toContain(
        `DELETE FROM task_outbox WHERE id = '${notJson.headers.id}'`,
      );
    });

    it("the operator's 'send it again' UPDATE makes the row due at once, whatever the session's time zone", async () => {
      const errors: string[] = [];
      vi.spyOn(Logger.prototype, 'error').mockImplementation((line: unknown) => {
        errors.push(String(line));
      });
      const msg = message();
      const writer = new OutboxWriter({ graceMs: 0 });
      await db.dataSource.transaction((m) => writer.write(m, msg, { queue: 'outbox-bad-row' }));
      const repo = db.dataSource.getRepository(TaskOutbox);
      const good = (await repo.findOneByOrFail({ id: msg.headers.id })).message;
      await repo.update(msg.headers.id, { message: 'cut short' });
      const broker = new RecordingBroker();
      relay = new OutboxRelay(db.dataSource, asBroker(broker), { listen: false });
      await relay.relayOnce(); // dead-lettered, with the advice in its ERROR
      const resend = /(UPDATE task_outbox SET [^;]+);/.exec(errors.join('\n'))?.[1];
      expect(resend).toBeDefined();

      // The cause fixed, an operator resends it from a session east of UTC (MySQL/MariaDB keep
      // task_outbox's times as UTC wall-clock DATETIMEs; CURRENT_TIMESTAMP is the session's).
      await repo.update(msg.headers.id, { message: good });
      const session = db.dataSource.createQueryRunner();
      try {
        await session.query(
          driver === 'postgres' ? "SET TIME ZONE '+05:00'" : "SET time_zone = '+05:00'",
        );
        await session.query(resend!);
      } finally {
        await session.release();
      }
      // PostgreSQL's CURRENT_TIMESTAMP has microseconds, the relay's clock milliseconds: within
      // the same millisecond the row is not due yet; the next round (moments later) takes it.
      const relayer = relay;
      await vi.waitFor(async () => expect(await relayer.relayOnce()).toBe(1), { timeout: 10_000 });
      expect(broker.published).toEqual([msg.headers.id]);
    });
  },
);
