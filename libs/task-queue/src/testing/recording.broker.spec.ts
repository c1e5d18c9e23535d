import { describe, expect, it } from 'vitest';
import { createTaskMessage } from '../protocol/task-message.factory.js';
import { MemoryBroker } from '../transports/memory/memory.broker.js';
import { RecordingBroker } from './recording.broker.js';

describe('RecordingBroker', () => {
  it('records a publish and passes it on', async () => {
    const inner = new MemoryBroker();
    const broker = new RecordingBroker(inner);
    await broker.publish(createTaskMessage({ name: 'rec.add', args: [1, 2] }), { queue: 'q' });
    expect(broker.published.map((p) => [p.name, p.args])).toEqual([['rec.add', [1, 2]]]);
    expect(await inner.queueLength('q')).toBe(1);
    await broker.close();
  });

  it("lists the wrapped broker's parked messages (inspect scheduled sees them)", async () => {
    const broker = new RecordingBroker(new MemoryBroker());
    const message = createTaskMessage({ name: 'rec.later', args: [] });
    const notBefore = new Date(Date.now() + 60_000);
    await broker.publish(message, { queue: 'q', notBefore });
    const parked = await broker.parked?.(['q'], 10);
    expect(parked?.map((p) => p.message.headers.id)).toEqual([message.headers.id]);
    await broker.close();
  });
});
