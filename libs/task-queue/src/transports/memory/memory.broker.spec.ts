import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createTaskMessage } from '../../protocol/task-message.factory.js';
import { describeBrokerConformance } from '../../testing/conformance/broker.conformance.js';
import { sharedCount } from '../../utils/shared-by-name.js';
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
