import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ChannelModel } from 'amqplib';
import { AmqpBroker } from 'celeriac/amqp';
import { createTaskMessage } from 'celeriac/protocol';
import { usePrivateVhost } from '../support/amqp-vhost.js';

const QUEUES = Array.from({ length: 20 }, (_, i) => `scrape-cost-${i}`);

/**
 * What a scrape of RabbitMQ queues costs without the management API (passive declares). A
 * passive declare of a missing queue closes its channel: dead-letter queues that do not exist
 * yet (declared at the first dead letter) made every scrape open and close a channel per
 * queue. A queue found missing now counts as empty without a declare for 30 s, and at most 10
 * of them are checked again per scrape; one this process declares is checked at once. The
 * declares of a scrape run on as many channels at once (up to 64), kept open from one scrape to
 * the next: a scrape waits for one round trip, not one per queue.
 */
describe('scrape cost on RabbitMQ (passive declares)', () => {
  const vhost = usePrivateVhost('celeriac-scrape-cost');
  let broker: AmqpBroker;
  let other: AmqpBroker;
  let opened = 0;
  let inFlight = 0;
  let mostInFlight = 0;

  beforeAll(async () => {
    broker = new AmqpBroker(vhost.url);
    other = new AmqpBroker(vhost.url);
    for (const queue of QUEUES) {
      await broker.publish(createTaskMessage({ name: 'any.task' }), { queue });
    }
    // Count the channels the statistics open (publishes use the publisher's confirm channel).
    const model: ChannelModel = await broker.connection.waitConnected(5_000);
    const createChannel = model.createChannel.bind(model);
    model.createChannel = async () => {
      opened += 1;
      const channel = await createChannel();
      // And how many passive declares are in flight at once, over every channel.
      const checkQueue = channel.checkQueue.bind(channel);
      channel.checkQueue = async (queue: string) => {
        inFlight += 1;
        mostInFlight = Math.max(mostInFlight, inFlight);
        try {
          return await checkQueue(queue);
        } finally {
          inFlight -= 1;
        }
      };
      return channel;
    };
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  afterAll(async () => {
    await other?.close();
    await broker?.close();
  });

  async function scrape(): Promise<{ channels: number; deadLetters: number[] }> {
    opened = 0;
    const stats = await broker.queueStats(QUEUES);
    expect(stats.map((s) => s.ready)).toEqual(QUEUES.map(() => 1));
    return { channels: opened, deadLetters: stats.map((s) => s.deadLetters!) };
  }

  it('keeps its channels open: once the missing dead-letter queues are known, a scrape opens none', async () => {
    const first = await scrape();
    // Every missing DLQ closed its channel: one more for the next check of that lane.
    expect(first.channels).toBeGreaterThanOrEqual(QUEUES.length);
    expect(await scrape()).toEqual({ channels: 0, deadLetters: QUEUES.map(() => 0) });
    expect(await scrape()).toEqual({ channels: 0, deadLetters: QUEUES.map(() => 0) });
  });

  it('declares every queue at once: a scrape waits for one round trip', async () => {
    mostInFlight = 0;
    await scrape();
    // One RPC at a time per channel; a channel per check (the missing DLQs are not declared).
    expect(mostInFlight).toBe(QUEUES.length);
  });

  it('sees a dead-letter queue this process declares at the next scrape', async () => {
    await broker.deadLetter(createTaskMessage({ name: 'any.task' }), QUEUES[5]!);
    const { channels, deadLetters } = await scrape();
    // One more check than channels kept: one opened.
    expect(channels).toBe(1);
    expect(deadLetters[5]).toBe(1);
    expect((await scrape()).channels).toBe(0);
  });

  it('checks again at most 10 missing queues per scrape after 30 s', async () => {
    // Another process dead-letters into the first queue: this one is not told.
    await other.deadLetter(createTaskMessage({ name: 'any.task' }), QUEUES[0]!);
    expect((await scrape()).deadLetters[0]).toBe(0);

    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 31_000 });
    const later = await scrape();
    expect(later.deadLetters[0]).toBe(1);
    // Ten more checks than the 21 channels kept; nine of them found a missing DLQ, which
    // closed their channels.
    expect(later.channels).toBe(10);
    const next = await scrape();
    expect(next.channels).toBeLessThanOrEqual(10 + 9);
    // Every DLQ still missing was checked again within two scrapes; none more before 30 s.
    expect(await scrape()).toMatchObject({ channels: 0 });
  });
});
