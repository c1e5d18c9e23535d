import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Consumer, Delivery } from 'celeriac';
import { createTaskMessage } from 'celeriac/protocol';
import { AmqpBroker } from 'celeriac/amqp';

const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';

/**
 * What AMQP can tell about queues (passive declares on one channel): ready messages of every
 * priority, consumers, dead letters; unacked, delayed and the oldest age are null (no AMQP
 * method gives them; see docs/metrics-and-health.md).
 */
describe('queue statistics on RabbitMQ', () => {
  const queue = `metrics-${randomUUID()}`;
  const missing = `metrics-missing-${randomUUID()}`;
  let broker: AmqpBroker;
  let consumerBroker: AmqpBroker;
  let consumer: Consumer | undefined;
  const held: Delivery[] = [];

  beforeAll(async () => {
    broker = new AmqpBroker(AMQP_URL);
    consumerBroker = new AmqpBroker(AMQP_URL);
    await broker.connect();
  });
  afterAll(async () => {
    await consumer?.cancel();
    await consumerBroker.close();
    for (const q of [queue, `${queue}.dlq`]) await broker.purge(q).catch(() => 0);
    await broker.close();
  });

  it('counts ready (every priority), consumers and dead letters; a missing queue is 0', async () => {
    for (const priority of [0, 3, 9, 9]) {
      await broker.publish(createTaskMessage({ name: 'any.task', priority }), {
        queue,
        priority,
      });
    }
    await broker.publish(createTaskMessage({ name: 'any.task' }), { queue: `${queue}.dlq` });
    await expect(broker.ping()).resolves.toBeUndefined();

    const [stats, none] = await broker.queueStats([queue, missing]);
    expect(stats).toEqual({
      queue,
      ready: 4,
      unacked: null,
      delayed: null,
      deadLetters: 1,
      consumers: 0,
      oldest: null,
    });
    expect(none).toMatchObject({ queue: missing, ready: 0, deadLetters: 0, consumers: 0 });

    consumer = await consumerBroker.consume([queue], (d) => held.push(d), { prefetch: 1 });
    await expect.poll(() => held.length).toBeGreaterThan(0);
    // Delivered messages leave the ready count; AMQP cannot say they are unacked.
    await expect
      .poll(async () => {
        const [after] = await broker.queueStats([queue]);
        return { ...after, ready: after!.ready + held.length, consumers: after!.consumers! > 0 };
      })
      .toMatchObject({ ready: 4, consumers: true, unacked: null });
  });

  it('stamps the send time header on published messages', async () => {
    const before = Date.now();
    await expect.poll(() => held.length).toBeGreaterThan(0);
    const sentAt = held[0]!.message.headers['x-celeriac-sent-at'];
    expect(typeof sentAt).toBe('number');
    expect(sentAt as number).toBeLessThanOrEqual(before);
  });
});
