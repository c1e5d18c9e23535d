import { Logger } from '@nestjs/common';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AmqpBroker } from 'celeriac/amqp';
import type { PublishOptions, TaskMessage } from 'celeriac';
import { TaskOutbox } from 'celeriac/typeorm';
import { OutboxRelay } from '../../libs/task-queue/src/transaction/outbox/outbox.relay.js';
import { OutboxWriter } from '../../libs/task-queue/src/transaction/outbox/outbox.writer.js';
import { createTestVhost, type AmqpTestVhost } from '../support/amqp-vhost.js';
import { message } from '../support/outbox-fixtures.js';
import { OutboxMetrics } from '../../libs/task-queue/src/observability/metrics/outbox-metrics.js';
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

  it('dead-letters a row still refused after maxAttempts: one ERROR naming it, a metric, no more tries', async () => {
    const warnings: string[] = [];
    const errors: string[] = [];
    vi.spyOn(Logger.prototype, 'warn').mockImplementation((line: unknown) => {
      warnings.push(String(line));
    });
    vi.spyOn(Logger.prototype, 'error').mockImplementation((line: unknown) => {
      errors.push(String(line));
    });
    await db.dataSource.getRepository(TaskOutbox).clear(); // the rows of the test before
    const refused = message();
    const writer = new OutboxWriter({ graceMs: 0 });
    await db.dataSource.transaction(async (m) => {
      await writer.write(m, refused, { queue: 'amq.reserved-dead' });
    });
    const registry = new Registry();
    new OutboxMetrics(registry, db.dataSource, 0);
    const gauge = async (name: string): Promise<number | undefined> =>
      (await registry.getSingleMetric(name)?.get())?.values[0]?.value;
    relay = new OutboxRelay(db.dataSource, broker, {
      pollIntervalMs: 100,
      listen: false,
      maxAttempts: 3,
    });
    relay.start();

    const mine = (lines: string[]): string[] =>
      lines.filter((line) => line.includes(refused.headers.id));
    await expect.poll(() => mine(errors), { timeout: 20_000 }).toHaveLength(1);
    const error = mine(errors)[0]!;
    expect(error).toMatch(/dead-lettered.*refused it 3 times/);
    expect(error).toContain('queue "amq.reserved-dead"');
    expect(error).toContain('ACCESS_REFUSED');
    expect(error).toContain(`DELETE FROM task_outbox WHERE id = '${refused.headers.id}'`);
    expect(mine(warnings)).toHaveLength(2); // attempts 1 and 2
    const row = await db.dataSource
      .getRepository(TaskOutbox)
      .findOneByOrFail({ id: refused.headers.id });
    expect(row.lockedBy).toBe('dead-letter');
    expect(row.attempts).toBe(3);
    expect(await gauge('celeriac_outbox_dead_letters')).toBe(1);
    expect(await gauge('celeriac_outbox_pending')).toBe(0);

    // The relay goes on with other rows and never tries the dead one again.
    const next = message();
    await db.dataSource.transaction(async (m) => {
      await writer.write(m, next, { queue: 'outbox-refused-ok' });
    });
    await expect.poll(() => gauge('celeriac_outbox_pending'), { timeout: 10_000 }).toBe(0);
    expect(mine(errors)).toHaveLength(1);
    expect(mine(warnings)).toHaveLength(2);
    await db.dataSource.getRepository(TaskOutbox).delete({ id: refused.headers.id });
  });
});
