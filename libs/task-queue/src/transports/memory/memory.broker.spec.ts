import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createTaskMessage } from '../../protocol/task-message.factory.js';
import { describeBrokerConformance } from '../../testing/conformance/broker.conformance.js';
import { sharedCount } from '../../utils/shared-by-name.js';
import type { Delivery } from '../../contracts/broker.interface.js';
import { TaskQueueError } from '../../errors/task-queue.error.js';
import { MemoryBroker } from './memory.broker.js';

const store = `conformance-${randomUUID()}`;
// A named store lives while an instance holds it. The suite closes a broker and opens another
// to stand for a reconnect; this one stands for the server that outlives them.
const server = new MemoryBroker(store);
afterAll(() => server.close());
describeBrokerConformance('memory', { create: () => new MemoryBroker(store) });

describe('named memory stores', () => {
  const message = () => createTaskMessage({ name: 'memory.task', args: [1] });

  it('are shared by the open instances of a name, and dropped when the last one closes', async () => {
    const name = `drop-${randomUUID()}`;
    const before = sharedCount('memory-broker');
    const producer = new MemoryBroker(name);
    const worker = new MemoryBroker(name);
    await producer.publish(message(), { queue: 'q' });
    expect(await worker.queueLength('q')).toBe(1);
    await producer.close();
    await producer.close(); // a second close gives nothing back twice
    const reopened = new MemoryBroker(name);
    expect(await reopened.queueLength('q')).toBe(1);
    await reopened.close();
    expect(sharedCount('memory-broker')).toBe(before + 1);
    await worker.close();
    expect(sharedCount('memory-broker')).toBe(before);
    const fresh = new MemoryBroker(name);
    expect(await fresh.queueLength('q')).toBe(0);
    await fresh.close();
  });
});

// kombu's direct exchanges: a queue is bound to the exchange of its own name with its own name
// as key (Celery's automatic queues); bindDirect() adds bindings; a key nobody is bound with
// fails the publish instead of dropping the message.
describe('memory:// exchange routing (direct exchanges)', () => {
  const message = () => createTaskMessage({ name: 'memory.task', args: [1] });
  const take = async (broker: MemoryBroker, queue: string) => {
    const got: Delivery[] = [];
    const consumer = await broker.consume([queue], (d) => void got.push(d), { prefetch: 10 });
    return { got, consumer };
  };

  it('delivers to every queue bound with the key, naming the exchange and key', async () => {
    const broker = new MemoryBroker();
    const [declared, first, second] = ['declared', 'first', 'second'].map(
      (q) => `${q}-${randomUUID()}`,
    );
    await broker.bindDirect(first!, 'reports', 'daily');
    await broker.bindDirect(second!, 'reports', 'daily');
    await broker.bindDirect(second!, 'reports', 'weekly');
    const sent = message();
    await broker.publish(sent, { queue: declared!, exchange: 'reports', routingKey: 'daily' });
    expect(await broker.queueLength(declared!)).toBe(0);
    expect(await broker.queueLength(first!)).toBe(1);
    expect(await broker.queueLength(second!)).toBe(1);
    const { got } = await take(broker, first!);
    await expect.poll(() => got.length).toBe(1);
    expect(got[0]!.message.headers.id).toBe(sent.headers.id);
    expect(got[0]!.deliveryInfo).toMatchObject({ exchange: 'reports', routingKey: 'daily' });
    // The declared queue is bound to its own name, as Celery's automatic queues.
    await broker.publish(message(), { queue: 'other', exchange: declared!, routingKey: declared! });
    expect(await broker.queueLength(declared!)).toBe(1);
    await broker.close();
  });

  it('fails a publish no queue is bound for, storing nothing', async () => {
    const broker = new MemoryBroker();
    const queue = `unbound-${randomUUID()}`;
    await broker.bindDirect(queue, 'reports', 'daily');
    const publish = broker.publish(message(), {
      queue,
      exchange: 'reports',
      routingKey: 'nobody',
    });
    await expect(publish).rejects.toThrow(TaskQueueError);
    await expect(publish).rejects.toThrow(/No queue is bound to exchange "reports"/);
    expect(await broker.queueLength(queue)).toBe(0);
    await broker.close();
  });
});
