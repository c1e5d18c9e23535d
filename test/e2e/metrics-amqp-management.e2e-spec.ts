import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Consumer, Delivery } from 'celeriac';
import { AmqpBroker } from 'celeriac/amqp';
import { createTaskMessage } from 'celeriac/protocol';
import { createTestVhost, type AmqpTestVhost } from '../support/amqp-vhost.js';
import { ensureRabbitManagement, RABBITMQ_MANAGEMENT_URL } from '../support/rabbitmq-management.js';

/**
 * RabbitMQ queue statistics through the management HTTP API (`managementUrl`, plugin enabled
 * by this spec's set-up): ready, unacknowledged deliveries of another consumer, consumers and
 * dead letters, from one request, and the age of the next message from its AMQP timestamp.
 * The API refreshes its figures every 5 s, so they are polled.
 */
describe('RabbitMQ queue statistics from the management API', () => {
  let vhost: AmqpTestVhost;
  let broker: AmqpBroker;
  let consumerBroker: AmqpBroker;
  let consumer: Consumer | undefined;
  const held: Delivery[] = [];
  const queue = `mgmt-${randomUUID()}`;

  beforeAll(async () => {
    await ensureRabbitManagement();
    vhost = await createTestVhost('celeriac-mgmt');
    broker = new AmqpBroker(vhost.url, { managementUrl: RABBITMQ_MANAGEMENT_URL });
    consumerBroker = new AmqpBroker(vhost.url);
  }, 180_000);

  afterAll(async () => {
    await consumer?.cancel();
    await consumerBroker?.close();
    await broker?.close();
    await vhost?.dispose();
  });

  it('counts ready, unacked, consumers and dead letters, and ages the head', async () => {
    const firstSent = Date.now();
    for (let i = 0; i < 5; i++)
      await broker.publish(createTaskMessage({ name: 'any.task' }), { queue });
    await broker.publish(createTaskMessage({ name: 'any.task' }), { queue: `${queue}.dlq` });
    consumer = await consumerBroker.consume([queue], (d) => held.push(d), { prefetch: 2 });
    await expect.poll(() => held.length).toBeGreaterThanOrEqual(2);
    // What the broker delivered (prefetch is a floor here): held, unacked.
    await new Promise((r) => setTimeout(r, 200));
    const unacked = held.length;
    // Consumers as AMQP counts them (a Celeriac consumer may hold more than one).
    const { consumers } = (await consumerBroker.queueStats([queue]))[0]!;

    await expect
      .poll(async () => (await broker.queueStats([queue]))[0], { timeout: 20_000, interval: 500 })
      .toEqual({
        queue,
        ready: 5 - unacked,
        unacked,
        delayed: null,
        deadLetters: 1,
        consumers,
        oldest: { sentAt: expect.any(Number) },
      });
    // The head's AMQP timestamp (whole seconds) is its send time.
    const [stats] = await broker.queueStats([queue]);
    const { sentAt } = stats!.oldest as { sentAt: number };
    expect(sentAt).toBeGreaterThanOrEqual(Math.floor(firstSent / 1000) * 1000);
    expect(sentAt).toBeLessThanOrEqual(Date.now());
    const [missing] = await broker.queueStats([`${queue}-none`]);
    expect(missing).toMatchObject({
      ready: 0,
      unacked: 0,
      consumers: 0,
      deadLetters: 0,
      oldest: null,
    });
  });

  it('reads the named queues only, names taken literally (the request filters by name)', async () => {
    // A queue name with regular-expression metacharacters, and neighbours it would match
    // were they read as a pattern or as a prefix, each holding a different count.
    const literal = `${queue}.v2+(x)`;
    const counts = { [literal]: 2, [`${queue}.v22+(x)`]: 3, [`${literal}-other`]: 4 };
    for (const [name, count] of Object.entries(counts)) {
      for (let i = 0; i < count; i++)
        await broker.publish(createTaskMessage({ name: 'any.task' }), { queue: name });
    }
    await expect
      .poll(async () => (await broker.queueStats([literal, queue]))[0], {
        timeout: 20_000,
        interval: 500,
      })
      .toMatchObject({ queue: literal, ready: 2, unacked: 0, deadLetters: 0 });
    const [, main] = await broker.queueStats([literal, queue]);
    expect(main).toMatchObject({ queue, deadLetters: 1 });
  });

  it('says what to check when the API does not answer', async () => {
    const wrong = new AmqpBroker(vhost.url, {
      managementUrl: 'http://guest:wrong@127.0.0.1:15672',
    });
    await expect(wrong.queueStats([queue])).rejects.toThrow(/HTTP 401.*management plugin/);
    await wrong.close();
  });
});
