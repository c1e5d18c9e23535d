import { Logger } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DataSource } from 'typeorm';
import type { Broker, TaskMessage } from 'celeriac';
import { drainOnCommit, TaskOutbox } from 'celeriac/typeorm';
import { OutboxRelay } from '../../libs/task-queue/src/transaction/outbox/outbox.relay.js';
import { OutboxWriter } from '../../libs/task-queue/src/transaction/outbox/outbox.writer.js';
import { message } from '../support/outbox-fixtures.js';
import { OUTBOX_MIGRATIONS } from '../support/celeriac-migrations.js';
import { dropMariaDb, openMariaDb, uniqueDatabase } from '../support/typeorm-mariadb.js';

// The migrations create task_outbox in the database's default character set: latin1 on MariaDB
// before 11.6 and MySQL 5.7 unless configured, or utf8mb3. A task whose arguments hold an emoji
// or a non-Latin script was refused there ("Incorrect string value"), or stored with '?'.
describe.each(['latin1', 'utf8mb3'])(
  'outbox on a MariaDB database whose charset is %s',
  (charset) => {
    const database = uniqueDatabase(`outbox_${charset}`);
    let dataSource: DataSource;
    beforeAll(async () => {
      const options = { entities: [TaskOutbox], migrations: OUTBOX_MIGRATIONS, charset };
      dataSource = await openMariaDb(database, options);
      await dataSource.runMigrations();
    });
    afterAll(async () => {
      await dataSource?.destroy();
      await dropMariaDb(database);
    });

    function recorder(): { broker: Broker; published: TaskMessage[] } {
      const published: TaskMessage[] = [];
      const broker = {
        publish: async (m: TaskMessage) => void published.push(m),
        ping: async () => undefined,
      } as unknown as Broker;
      return { broker, published };
    }
    const task = (): TaskMessage => {
      const msg = message();
      msg.body = JSON.stringify([['héllo 😀 日本語 Ωμέγα'], { note: 'ünïcödé' }, {}]);
      return msg;
    };

    it('a task with any Unicode arguments is written, and the relay sends them unchanged', async () => {
      const msg = task();
      await dataSource.transaction((m) =>
        new OutboxWriter({ graceMs: 0 }).write(m, msg, { queue: 'q' }),
      );
      const { broker, published } = recorder();
      await new OutboxRelay(dataSource, broker, { listen: false }).relayOnce();
      expect(published).toEqual([msg]);
    });

    it('the fast path sends them unchanged too', async () => {
      const msg = task();
      const { broker, published } = recorder();
      await dataSource.transaction((m) =>
        new OutboxWriter({ broker }).write(m, msg, { queue: 'q' }),
      );
      await drainOnCommit();
      expect(published).toEqual([msg]);
      expect(await dataSource.getRepository(TaskOutbox).count()).toBe(0);
    });

    it('a broker error in a non-Latin script is recorded, and the rows behind go out', async () => {
      const [refused, next] = [task(), task()];
      const writer = new OutboxWriter({ graceMs: 0 });
      await dataSource.transaction(async (m) => {
        await writer.write(m, refused, { queue: 'q' });
        await writer.write(m, next, { queue: 'q' });
      });
      const { broker, published } = recorder();
      const publish = broker.publish.bind(broker);
      broker.publish = async (msg, options) => {
        if (msg.headers.id === refused.headers.id) throw new Error('очередь не найдена 😀');
        return publish(msg, options);
      };
      const logged = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      try {
        await new OutboxRelay(dataSource, broker, { listen: false }).relayOnce();
      } finally {
        logged.mockRestore();
      }
      expect(published.map((m) => m.headers.id)).toEqual([next.headers.id]);
      const row = await dataSource
        .getRepository(TaskOutbox)
        .findOneByOrFail({ id: refused.headers.id });
      expect(row.lastError).toContain('\\u043e');
      await dataSource.getRepository(TaskOutbox).clear();
    });
  },
);
