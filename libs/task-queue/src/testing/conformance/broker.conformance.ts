import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { Broker, Delivery } from '../../contracts/broker.interface.js';
import { createTaskMessage } from '../../protocol/task-message.factory.js';

export interface BrokerConformanceOptions {
  /** Make a broker; called more than once per test, every instance must share the same state. */
  create(): Promise<Broker> | Broker;
  /** Margin for time-based checks (notBefore / defer), milliseconds. Default 300. */
  delayMs?: number;
}

/**
 * The contract every broker must honour. Run it from a spec with a factory:
 * `describeBrokerConformance('redis', { create: () => new RedisBroker(url) })`.
 * Queues are unique per test, purged afterwards.
 */
export function describeBrokerConformance(name: string, options: BrokerConformanceOptions): void {
  describe(`broker conformance: ${name}`, () => {
    const opened: Broker[] = [];
    const queues: string[] = [];
    const delayMs = options.delayMs ?? 300;

    const open = async (): Promise<Broker> => {
      const broker = await options.create();
      await broker.connect();
      opened.push(broker);
      return broker;
    };
    const queue = (): string => {
      const q = `conformance-${randomUUID()}`;
      queues.push(q);
      return q;
    };
    const message = (n: number, priority = 0) =>
      createTaskMessage({ name: 'conformance.task', args: [n], priority });
    /** Consumes `qs`; `arrived[i]` is when `got[i]` came (epoch ms). */
    const collect = async (broker: Broker, qs: string[], prefetch = 100) => {
      const got: Delivery[] = [];
      const arrived: number[] = [];
      const consumer = await broker.consume(
        qs,
        (d) => {
          got.push(d);
          arrived.push(Date.now());
        },
        { prefetch },
      );
      return { got, arrived, consumer };
    };

    afterEach(async () => {
      const cleaner = opened[0];
      if (cleaner) for (const q of queues.splice(0)) await cleaner.purge(q).catch(() => 0);
      for (const broker of opened.splice(0).reverse()) await broker.close().catch(() => undefined);
    });

    it('delivers a published message intact', async () => {
      const broker = await open();
      const q = queue();
      const sent = createTaskMessage({
        name: 'conformance.task',
        args: [1, 'two', { three: 3 }],
        kwargs: { k: 'v' },
        headers: { custom: 'kept' },
      });
      await broker.publish(sent, { queue: q });
      const { got } = await collect(broker, [q]);
      await expect.poll(() => got.length).toBe(1);
      const delivery = got[0]!;
      expect(delivery.queue).toBe(q);
      expect(delivery.redelivered).toBe(false);
      expect(delivery.message.headers).toMatchObject({
        task: 'conformance.task',
        id: sent.headers.id,
        custom: 'kept',
      });
      expect(delivery.message.properties.correlation_id).toBe(sent.headers.id);
      expect(JSON.parse(delivery.message.body)).toEqual(JSON.parse(sent.body));
      await delivery.ack();
    });

    it('counts and purges ready messages', async () => {
      const broker = await open();
      const q = queue();
      for (let i = 0; i < 5; i++) await broker.publish(message(i), { queue: q });
      await expect.poll(() => broker.queueLength(q)).toBe(5);
      expect(await broker.purge(q)).toBe(5);
      expect(await broker.queueLength(q)).toBe(0);
    });

    it('keeps FIFO order within one priority', async () => {
      const broker = await open();
      const q = queue();
      for (let i = 0; i < 10; i++) await broker.publish(message(i), { queue: q });
      const { got } = await collect(broker, [q]);
      await expect.poll(() => got.length).toBe(10);
      expect(got.map((d) => JSON.parse(d.message.body)[0][0])).toEqual([
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
      ]);
      await Promise.all(got.map((d) => d.ack()));
    });

    it('serves priorities in the order the transport declares', async () => {
      const broker = await open();
      const q = queue();
      for (const p of [0, 6, 9, 3]) await broker.publish(message(p, p), { queue: q, priority: p });
      await expect.poll(() => broker.queueLength(q)).toBe(4);
      const { got } = await collect(broker, [q], 1);
      const order: number[] = [];
      while (order.length < 4) {
        await expect.poll(() => got.length).toBe(order.length + 1);
        const d = got[order.length]!;
        order.push(JSON.parse(d.message.body)[0][0]);
        await d.ack();
      }
      const highFirst = [...order].sort((a, b) => b - a);
      expect(order).toEqual(
        broker.priorityOrder === 'higher-first' ? highFirst : [...highFirst].reverse(),
      );
    });

    it('holds no more than prefetch unacked deliveries', async () => {
      const broker = await open();
      const q = queue();
      for (let i = 0; i < 5; i++) await broker.publish(message(i), { queue: q });
      const { got } = await collect(broker, [q], 2);
      await expect.poll(() => got.length).toBe(2);
      await new Promise((r) => setTimeout(r, 100));
      expect(got.length).toBe(2);
      await got[0]!.ack();
      await expect.poll(() => got.length).toBe(3);
      await Promise.all(got.slice(1).map((d) => d.ack()));
      await expect.poll(() => got.length).toBe(5);
      await Promise.all(got.slice(3).map((d) => d.ack()));
    });

    it('removes acked messages for good', async () => {
      const first = await open();
      const q = queue();
      await first.publish(message(1), { queue: q });
      const a = await collect(first, [q]);
      await expect.poll(() => a.got.length).toBe(1);
      await a.got[0]!.ack();
      await a.consumer.cancel();
      await first.close();
      const second = await open();
      const b = await collect(second, [q]);
      await new Promise((r) => setTimeout(r, delayMs));
      expect(b.got.length).toBe(0);
      expect(await second.queueLength(q)).toBe(0);
    });

    it('redelivers a message rejected with requeue', async () => {
      const broker = await open();
      const q = queue();
      await broker.publish(message(7), { queue: q });
      const { got } = await collect(broker, [q]);
      await expect.poll(() => got.length).toBe(1);
      await got[0]!.reject(true);
      await expect.poll(() => got.length).toBe(2);
      expect(got[1]!.redelivered).toBe(true);
      expect(got[1]!.message.headers.id).toBe(got[0]!.message.headers.id);
      await got[1]!.ack();
    });

    it('does not redeliver a message rejected without requeue', async () => {
      const broker = await open();
      const q = queue();
      await broker.publish(message(1), { queue: q });
      await broker.publish(message(2), { queue: q });
      const { got } = await collect(broker, [q], 1);
      await expect.poll(() => got.length).toBe(1);
      await got[0]!.reject(false);
      await expect.poll(() => got.length).toBe(2);
      await got[1]!.ack();
      await new Promise((r) => setTimeout(r, delayMs));
      expect(got.length).toBe(2);
      expect(JSON.parse(got[1]!.message.body)[0][0]).toBe(2);
    });

    it('delivers each message to exactly one of competing consumers', async () => {
      const a = await open();
      const b = await open();
      const q = queue();
      const seen: string[] = [];
      const handler = (d: Delivery) => {
        seen.push(d.message.headers.id);
        void d.ack();
      };
      await a.consume([q], handler, { prefetch: 5 });
      await b.consume([q], handler, { prefetch: 5 });
      const ids: string[] = [];
      for (let i = 0; i < 40; i++) {
        const m = message(i);
        ids.push(m.headers.id);
        await a.publish(m, { queue: q });
      }
      await expect.poll(() => seen.length).toBe(40);
      expect(new Set(seen)).toEqual(new Set(ids));
    });

    it('consumes several queues', async () => {
      const broker = await open();
      const q1 = queue();
      const q2 = queue();
      await broker.publish(message(1), { queue: q1 });
      await broker.publish(message(2), { queue: q2 });
      const { got } = await collect(broker, [q1, q2]);
      await expect.poll(() => got.length).toBe(2);
      expect(new Set(got.map((d) => d.queue))).toEqual(new Set([q1, q2]));
      await Promise.all(got.map((d) => d.ack()));
    });

    it('does not deliver before notBefore', async () => {
      const broker = await open();
      const q = queue();
      const { got, arrived } = await collect(broker, [q]);
      const due = Date.now() + delayMs * 3;
      await broker.publish(message(1), { queue: q, notBefore: new Date(due) });
      await broker.publish(message(2), { queue: q });
      await expect.poll(() => got.length).toBe(1);
      expect(JSON.parse(got[0]!.message.body)[0][0]).toBe(2);
      await expect.poll(() => got.length, { timeout: delayMs * 20 }).toBe(2);
      // When it arrived, not when this test got to look (a loaded machine runs timers late).
      expect(arrived[1]).toBeGreaterThanOrEqual(due - 5);
      await Promise.all(got.map((d) => d.ack()));
    });

    it('parks a deferred delivery until it is due', async () => {
      const broker = await open();
      const q = queue();
      await broker.publish(message(1), { queue: q });
      const { got, arrived } = await collect(broker, [q]);
      await expect.poll(() => got.length).toBe(1);
      const due = Date.now() + delayMs * 3;
      await got[0]!.defer(new Date(due));
      await expect.poll(() => got.length, { timeout: delayMs * 20 }).toBe(2);
      expect(arrived[1]).toBeGreaterThanOrEqual(due - 5);
      expect(got[1]!.message.headers.id).toBe(got[0]!.message.headers.id);
      await got[1]!.ack();
    });

    it('stops delivering after cancel while earlier deliveries stay settleable', async () => {
      const broker = await open();
      const q = queue();
      await broker.publish(message(1), { queue: q });
      const { got, consumer } = await collect(broker, [q]);
      await expect.poll(() => got.length).toBe(1);
      await consumer.cancel();
      await broker.publish(message(2), { queue: q });
      await new Promise((r) => setTimeout(r, delayMs));
      expect(got.length).toBe(1);
      await got[0]!.ack();
      await expect.poll(() => broker.queueLength(q)).toBe(1);
    });

    it('gives unacked messages back when a consumer connection closes', async () => {
      const first = await open();
      const q = queue();
      await first.publish(message(1), { queue: q });
      const a = await collect(first, [q]);
      await expect.poll(() => a.got.length).toBe(1);
      await first.close();
      const second = await open();
      const b = await collect(second, [q]);
      await expect.poll(() => b.got.length, { timeout: 15_000 }).toBe(1);
      expect(b.got[0]!.message.headers.id).toBe(a.got[0]!.message.headers.id);
      expect(b.got[0]!.redelivered).toBe(true);
      await b.got[0]!.ack();
    });
  });
}
