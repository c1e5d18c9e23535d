import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidMessageError, type Broker, type TaskMessage } from 'celeriac';
import { TaskOutbox } from 'celeriac/typeorm';
import { OutboxRelay } from '../../libs/task-queue/src/transaction/outbox/outbox.relay.js';
import { OutboxWriter } from '../../libs/task-queue/src/transaction/outbox/outbox.writer.js';
import { message } from '../support/outbox-fixtures.js';
import { ItemSchema, openTestDatabase, type TestDatabase } from '../support/typeorm-drivers.js';

// A 20 MiB task through the outbox. PostgreSQL stores and relays it unchanged. MariaDB refuses
// an INSERT over max_allowed_packet (16 MiB by default) by closing the connection: the writer
// used to let it happen (`write ECONNRESET`, the caller's transaction dead); it now refuses the
// task first with an error that names the limit, and the transaction goes on.

const hugeMessage = (): TaskMessage => {
  const msg = message();
  msg.body = JSON.stringify([['"x"'.repeat(7 * 1024 * 1024)], {}, {}]);
  return msg;
};

describe('outbox: a 20 MiB task', () => {
  let pg: TestDatabase;
  let maria: TestDatabase;
  beforeAll(async () => {
    [pg, maria] = await Promise.all([
      openTestDatabase('postgres', [TaskOutbox]),
      openTestDatabase('mariadb', [TaskOutbox]),
    ]);
  });
  afterAll(async () => {
    await pg?.dispose();
    await maria?.dispose();
  });

  it('PostgreSQL: stored and relayed byte for byte', async () => {
    const msg = hugeMessage();
    await pg.dataSource.transaction((m) =>
      new OutboxWriter({ graceMs: 0 }).write(m, msg, { queue: 'huge' }),
    );
    let relayed!: (message: TaskMessage) => void;
    const published = new Promise<TaskMessage>((resolve) => (relayed = resolve));
    const broker = { publish: async (m: TaskMessage) => relayed(m), ping: async () => undefined };
    const relay = new OutboxRelay(pg.dataSource, broker as unknown as Broker, { listen: false });
    relay.start();
    try {
      expect(JSON.stringify(await published)).toBe(JSON.stringify(msg));
    } finally {
      await relay.stop();
    }
  }, 60_000);

  it('MariaDB over max_allowed_packet: refused with the limit named; the transaction goes on', async () => {
    const [item, small] = [randomUUID(), message()];
    let refused: unknown;
    await maria.dataSource.transaction(async (m) => {
      await m.insert(ItemSchema, { id: item });
      refused = await new OutboxWriter()
        .write(m, hugeMessage(), { queue: 'huge' })
        .catch((error: unknown) => error);
      await new OutboxWriter().write(m, small, { queue: 'huge' });
    });
    expect(refused).toBeInstanceOf(InvalidMessageError);
    expect(String(refused)).toMatch(/max_allowed_packet \(16\.0 MiB\).*Nothing was written/);
    expect(await maria.dataSource.getRepository(ItemSchema).countBy({ id: item })).toBe(1);
    const rows = await maria.dataSource.getRepository(TaskOutbox).find();
    expect(rows.map((row) => row.id)).toEqual([small.headers.id]);
  }, 60_000);
});
