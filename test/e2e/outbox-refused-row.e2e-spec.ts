import { Logger } from '@nestjs/common';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AmqpBroker } from 'celeriac/amqp';
import type { PublishOptions, TaskMessage } from 'celeriac';
import { TaskOutbox } from 'celeriac/typeorm';
import { OutboxRelay } from '../../libs/task-queue/src/transaction/outbox/outbox.relay.js';
import { OutboxWriter } from '../../libs/task-queue/src/transaction/outbox/outbox.writer.js';
import { createTestVhost, type AmqpTestVhost } from '../support/amqp-vhost.js';
import { message } from '../support/outbox-fixtures.js';
import { openTestDatabase, type TestDatabase } from '../support/typeorm-drivers.js';

// A row RabbitMQ refuses (a reserved `amq.` queue name) while it is up: the relay publishes the
// rows behind it, leaves the refused row for its backoff with last_error, and says what to do.

describe('outbox relay: a row RabbitMQ refuses', () => {
  let db: TestDatabase;
  let vhost: AmqpTestVhost;
  let broker: AmqpBroker;
  let relay: OutboxRelay | undefined;

  beforeAll(async () => {
    db = await openTestDatabase('postgres', [TaskOutbox]);
    vhost = await createTestVhost();
    broker = new AmqpBroker(vhost.url, { publishTimeout: 5_000 });
    await broker.connect();
  }, 60_000);
  afterEach(async () => {
    await relay?.stop();
    vi.restoreAllMocks();
  });
  afterAll(async () => {
    await broker?.close();
    await vhost?.dispose();
    await db?.dispose();
  });

  it('does not hold back the rows behind it; its warning names the row and how to remove it', async () => {
    const warnings: string[] = [];
    vi.spyOn(Logger.prototype, 'warn').mockImplementation((line: unknown) => {
      warnings.push(String(line));
    });
    const [first, refused, last] = [message(), message(), message()];
    const writer = new OutboxWriter({ graceMs: 0 });
    await db.dataSource.transaction(async (m) => {
      await writer.write(m, first, { queue: 'outbox-refused-ok' });
      await writer.write(m, refused, { queue: 'amq.reserved' });
      await writer.write(m, last, { queue: 'outbox-refused-ok' });
    });
    const published: string[] = [];
    const publish = broker.publish.bind(broker);
    vi.spyOn(broker, 'publish').mockImplementation(
      async (msg: TaskMessage, options: PublishOptions) => {
        await publish(msg, options);
        published.push(msg.headers.id);
      },
    );
    relay = new OutboxRelay(db.dataSource, broker, { pollIntervalMs: 100, listen: false });
    relay.start();

    await expect
      .poll(() => published, { timeout: 20_000 })
      .toEqual([first.headers.id, last.headers.id]);
    await expect
      .poll(() => warnings.some((line) => line.includes(refused.headers.id)), { timeout: 10_000 })
      .toBe(true);
    const warning = warnings.find((line) => line.includes(refused.headers.id))!;
    expect(warning).toContain('queue "amq.reserved"');
    expect(warning).toContain('ACCESS_REFUSED');
    expect(warning).toContain(`DELETE FROM task_outbox WHERE id = '${refused.headers.id}'`);
    expect(warnings.some((line) => /broker is unreachable/.test(line))).toBe(false);
    const row = await db.dataSource
      .getRepository(TaskOutbox)
      .findOneByOrFail({ id: refused.headers.id });
    expect(row.lastError).toMatch(/ACCESS_REFUSED/);
    expect(row.lockedBy).toBeNull();
  });
});
