import { afterEach, describe, expect, it } from 'vitest';
import { EVENT_EXCHANGE } from '../../broadcast/pidbox.names.js';
import { createBroadcastTransport } from '../../transports/broadcast-transport.factory.js';
import { CeleryEventsReceiver } from './celery-events.receiver.js';
import type { CeleryEvent } from './event-fields.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('CeleryEventsReceiver (memory transport)', () => {
  let receiver: CeleryEventsReceiver | undefined;
  afterEach(() => receiver?.close());

  it('delivers single events and unpacks task.multi batches in order', async () => {
    const url = `memory://receiver-${Date.now()}`;
    receiver = await CeleryEventsReceiver.connect(url);
    const publisher = await createBroadcastTransport(url);
    const publish = (routingKey: string, body: unknown) =>
      publisher.publish(EVENT_EXCHANGE, routingKey, { body, headers: {}, deliveryMode: 1 });
    const events: CeleryEvent[] = [];
    const subscription = receiver.events$.subscribe((event) => events.push(event));
    // Binding is asynchronous: probe until it delivers.
    while (events.length === 0) {
      await publish('worker.heartbeat', { type: 'worker-heartbeat', hostname: 'w' });
      await tick();
    }
    events.length = 0;
    await publish('worker.online', { type: 'worker-online', hostname: 'w' });
    await publish('task.multi', [
      { type: 'task-received', uuid: 'a' },
      { type: 'task-started', uuid: 'a' },
      { nonsense: true },
    ]);
    while (events.length < 3) await tick();
    expect(events.map((e) => e.type)).toEqual(['worker-online', 'task-received', 'task-started']);
    subscription.unsubscribe();
    await publisher.close();
  });
});
