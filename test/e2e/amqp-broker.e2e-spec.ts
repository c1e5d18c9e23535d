import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Channel } from 'amqplib';
import { afterEach, describe, expect, it } from 'vitest';
import { type AmqpBrokerOptions, AmqpBroker } from 'celeriac/amqp';
import { BrokerConnectionError, ConfigurationError, type Delivery } from 'celeriac';
import { createTaskMessage } from 'celeriac/protocol';
import { describeBrokerConformance } from 'celeriac/conformance';
import { closeConnectionsNamed, listQueues, usePrivateVhost } from '../support/amqp-vhost.js';
import { type Closable, openRawChannel } from '../support/raw-amqp-channel.js';

// Everything runs in a private vhost, created here and deleted afterwards: the suite can run in
// parallel with others on the shared RabbitMQ, and only ever force-closes its own connections.

const vhost = usePrivateVhost('celeriac-amqp-broker');

describeBrokerConformance('amqp', {
  create: () => new AmqpBroker(vhost.url, { maxPriority: 10 }),
});

describe('AmqpBroker (RabbitMQ specifics)', () => {
  const opened: Closable[] = [];
  const open = async (options: AmqpBrokerOptions = {}): Promise<AmqpBroker> => {
    const broker = new AmqpBroker(vhost.url, {
      connectionName: `celeriac-e2e-${randomUUID()}`,
      ...options,
    });
    opened.push(broker);
    await broker.connect();
    return broker;
  };
  const raw = (): Promise<Channel> => openRawChannel(vhost.url, opened);
  const queue = (): string => `amqp-e2e-${randomUUID()}`;
  const message = (n: number, priority = 0) =>
    createTaskMessage({ name: 'amqp.task', args: [n], priority });
  const collect = async (broker: AmqpBroker, q: string, prefetch = 10) => {
    const got: Delivery[] = [];
    await broker.consume([q], (d) => got.push(d), { prefetch });
    return got;
  };
  const stats = async (name: string) => (await listQueues(vhost.name)).find((q) => q.name === name);
  const disconnected = async (broker: AmqpBroker, name: string): Promise<void> => {
    expect(await closeConnectionsNamed(name)).toBe(1);
    await expect.poll(() => broker.connection.isConnected).toBe(false);
  };

  afterEach(async () => {
    for (const item of opened.splice(0).reverse()) await item.close().catch(() => undefined);
  });

  it('declares the queue as Celery does and publishes with Celery properties on the default exchange', async () => {
    const broker = await open();
    const q = queue();
    const sent = createTaskMessage({
      name: 'amqp.task',
      args: [2, 3],
      priority: 4,
      replyTo: 'oid-1',
      expires: new Date(Date.now() + 60_000),
      headers: { custom: 'kept' },
    });
    await broker.publish(sent, { queue: q });
    // kombu's declaration for a plain queue: durable direct exchange and durable queue, both
    // named like the queue, no arguments. Equal declarations are accepted by RabbitMQ.
    const ch = await raw();
    await ch.assertExchange(q, 'direct', { durable: true, autoDelete: false });
    await ch.assertQueue(q, { durable: true, autoDelete: false, exclusive: false });
    await ch.bindQueue(q, q, q);
    const got = await ch.get(q, { noAck: true });
    if (!got) throw new Error('no message');
    expect(got.fields).toMatchObject({ exchange: '', routingKey: q });
    expect(got.properties).toMatchObject({
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      deliveryMode: 2,
      priority: 4,
      correlationId: sent.headers.id,
      replyTo: 'oid-1',
    });
    // No per-message TTL: an expired task must reach a worker to be recorded REVOKED (expired);
    // RabbitMQ would drop it silently. The `expires` header carries the deadline instead.
    expect(got.properties.expiration).toBeUndefined();
    expect(got.properties.headers?.expires).toEqual(expect.any(String));
    expect(got.properties.headers).toMatchObject({
      task: 'amqp.task',
      id: sent.headers.id,
      custom: 'kept',
      timelimit: [null, null],
    });
    expect(got.content.toString('utf8')).toBe(sent.body);
  });

  it('accepts a queue Python declared first (x-max-priority) and reports a mismatch clearly', async () => {
    const ch = await raw();
    const q = queue();
    await ch.assertExchange(q, 'direct', { durable: true });
    await ch.assertQueue(q, { durable: true, arguments: { 'x-max-priority': 10 } });
    const broker = await open({ maxPriority: 10 });
    await broker.publish(message(1), { queue: q });
    expect(await broker.queueLength(q)).toBe(1);

    const other = queue();
    await ch.assertQueue(other, { durable: true });
    await expect(broker.publish(message(1), { queue: other })).rejects.toBeInstanceOf(
      ConfigurationError,
    );
  });

  it('declares quorum queues, and refuses quorum with priorities at construction', async () => {
    const q = queue();
    const broker = await open({ queues: { [q]: { type: 'quorum' } } });
    await broker.publish(message(1), { queue: q });
    expect((await stats(q))?.type).toBe('quorum');
    const got = await collect(broker, q);
    await expect.poll(() => got.length).toBe(1);
    await got[0]!.reject(false);
    await expect.poll(() => broker.queueLength(`${q}.dlq`)).toBe(1);
    expect((await stats(`${q}.dlq`))?.type).toBe('quorum');
    expect(
      () => new AmqpBroker(vhost.url, { queues: { x: { type: 'quorum', maxPriority: 5 } } }),
    ).toThrow(ConfigurationError);
  });

  it('dead-letters a message rejected without requeue into <queue>.dlq', async () => {
    const broker = await open();
    const q = queue();
    const sent = message(42);
    await broker.publish(sent, { queue: q });
    const got = await collect(broker, q);
    await expect.poll(() => got.length).toBe(1);
    await got[0]!.reject(false);
    const ch = await raw();
    const dead = await ch.get(`${q}.dlq`, { noAck: true });
    if (!dead) throw new Error('nothing dead-lettered');
    expect(dead.content.toString('utf8')).toBe(sent.body);
    expect(dead.properties.headers).toMatchObject({
      id: sent.headers.id,
      'x-celeriac-rejected-from': q,
    });
    expect(await broker.queueLength(q)).toBe(0);
  });

  it('drops instead of dead-lettering when deadLetter is off', async () => {
    const broker = await open({ deadLetter: false });
    const q = queue();
    await broker.publish(message(1), { queue: q });
    const got = await collect(broker, q);
    await expect.poll(() => got.length).toBe(1);
    await got[0]!.reject(false);
    expect(await broker.queueLength(`${q}.dlq`)).toBe(0);
    await expect.poll(async () => (await stats(q))?.unacked).toBe(0);
  });

  it('resolves a publish only once RabbitMQ confirmed it (the message is already counted)', async () => {
    const broker = await open();
    const q = queue();
    for (let i = 0; i < 20; i++) {
      await broker.publish(message(i), { queue: q });
      expect(await broker.queueLength(q)).toBe(i + 1);
    }
  });

  it('writes a burst of publishes to the socket in a few writes, not one per message', async () => {
    const broker = await open();
    const q = queue();
    await broker.publish(message(0), { queue: q }); // declared, channel open
    const socket = (broker.connection.current!.connection as unknown as { stream: Socket }).stream;
    let writes = 0;
    for (const method of ['_write', '_writev'] as const) {
      const original = socket[method] as (...args: unknown[]) => void;
      socket[method] = (...args: unknown[]) => {
        writes++;
        original.apply(socket, args);
      };
    }
    await Promise.all(
      Array.from({ length: 100 }, (_, i) => broker.publish(message(i), { queue: q })),
    );
    expect(await broker.queueLength(q)).toBe(101);
    // 100 messages of about 500 bytes: one write per ~16 KB (the socket's high-water mark).
    expect(writes).toBeGreaterThan(0);
    expect(writes).toBeLessThan(15);
  });

  it('parks a far-future message in the delay ladder, not unacked in a consumer', async () => {
    const broker = await open();
    const q = queue();
    const got = await collect(broker, q);
    await broker.publish(message(1), { queue: q, notBefore: new Date(Date.now() + 3_600_000) });
    await broker.publish(message(2), { queue: q });
    await expect.poll(() => got.length).toBe(1);
    await got[0]!.ack();
    // 3 600 000 ms = 36 000 units of 100 ms: highest binary digit 2^15, so it waits in level 15.
    await expect
      .poll(async () => (await stats('celeriac.delay.15'))?.messages)
      .toBeGreaterThanOrEqual(1);
    const all = await listQueues(vhost.name);
    expect(all.reduce((sum, s) => sum + s.unacked, 0)).toBe(0);
    expect((await stats(q))?.messages).toBe(0);
    expect(got.length).toBe(1);
  });

  /** Defer one delivery for two hours with `settle`; its copy must be parked, the original acked. */
  const expectParkedFor2h = async (
    settle: (broker: AmqpBroker, delivery: Delivery, until: Date) => Promise<void>,
  ): Promise<void> => {
    const broker = await open();
    const q = queue();
    await broker.publish(message(1), { queue: q });
    const got = await collect(broker, q);
    await expect.poll(() => got.length).toBe(1);
    const before = (await stats('celeriac.delay.16'))?.messages ?? 0;
    await settle(broker, got[0]!, new Date(Date.now() + 2 * 3_600_000));
    await expect.poll(async () => (await stats('celeriac.delay.16'))?.messages).toBe(before + 1);
    expect(await stats(q)).toMatchObject({ messages: 0, unacked: 0 });
  };

  it('defers a delivery for hours: the copy is parked and the original acked', async () => {
    await expectParkedFor2h((_, delivery, until) => delivery.defer(until));
  });

  it('close() lets a defer in flight finish: the copy is parked and the original acked', async () => {
    // A warm shutdown closing the broker while the worker parks an ETA task.
    await expectParkedFor2h(async (broker, delivery, until) => {
      const deferring = delivery.defer(until);
      await broker.close();
      await deferring;
    });
  });

  it("fails a publish at once while disconnected with whenDisconnected: 'fail'", async () => {
    const name = `celeriac-e2e-${randomUUID()}`;
    const broker = await open({
      connectionName: name,
      whenDisconnected: 'fail',
      reconnect: { initialDelay: 10_000 },
    });
    const q = queue();
    await broker.publish(message(1), { queue: q });
    await disconnected(broker, name);
    await expect(broker.publish(message(2), { queue: q })).rejects.toBeInstanceOf(
      BrokerConnectionError,
    );
  });

  it("bounds the wait of a publish while disconnected with whenDisconnected: 'wait'", async () => {
    const name = `celeriac-e2e-${randomUUID()}`;
    const broker = await open({
      connectionName: name,
      publishTimeout: 500,
      reconnect: { initialDelay: 10_000 },
    });
    const q = queue();
    await broker.publish(message(1), { queue: q });
    await disconnected(broker, name);
    await expect(broker.publish(message(2), { queue: q })).rejects.toThrow(/nothing was sent/);
  });

  it('recovers after a forced connection close: publishes wait, consumers resume, unacked messages come back', async () => {
    const name = `celeriac-e2e-${randomUUID()}`;
    const broker = await open({
      connectionName: name,
      reconnect: { initialDelay: 300, jitter: 0 },
    });
    const q = queue();
    await broker.publish(message(1), { queue: q });
    await broker.publish(message(3), { queue: q });
    const got = await collect(broker, q);
    await expect.poll(() => got.length).toBe(2);
    await disconnected(broker, name);
    await expect(got[0]!.ack()).resolves.toBeUndefined(); // dead channel: logged, not thrown
    await broker.publish(message(2), { queue: q }); // waits for the reconnect
    // The unacked one comes back; the one acked on the dead channel is acked again on its
    // redelivery without reaching the consumer (its task already ran here).
    await expect.poll(() => got.length, { timeout: 15_000 }).toBe(4);
    const again = got.slice(2).map((d) => d.message.headers.id);
    expect(again).not.toContain(got[0]!.message.headers.id);
    const redelivered = got
      .slice(2)
      .find((d) => d.message.headers.id === got[1]!.message.headers.id);
    expect(redelivered?.redelivered).toBe(true);
    await Promise.all(got.slice(2).map((d) => d.ack()));
    await expect.poll(async () => (await stats(q))?.unacked).toBe(0);
    expect(await broker.queueLength(q)).toBe(0);
  });

  it('rejects publishes after close', async () => {
    const broker = await open();
    await broker.close();
    await expect(broker.publish(message(1), { queue: queue() })).rejects.toBeInstanceOf(
      BrokerConnectionError,
    );
  });
});
