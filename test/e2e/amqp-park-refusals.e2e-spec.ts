import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { Channel } from 'amqplib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AmqpBroker } from 'celeriac/amqp';
import { createTaskMessage } from 'celeriac/protocol';
import { usePrivateVhost } from '../support/amqp-vhost.js';
import { type Closable, openRawChannel } from '../support/raw-amqp-channel.js';

// Parking a message in the delay ladder (a publish with notBefore, a deferred ETA, a retry
// countdown) must be as safe as a plain publish: what RabbitMQ does not store is an error or
// is declared again and resent, never a silent loss.

const vhost = usePrivateVhost('celeriac-park-refusals');

const opened: Closable[] = [];
afterEach(async () => {
  for (const item of opened.splice(0).reverse()) await item.close().catch(() => undefined);
  vi.restoreAllMocks();
});

const rawChannel = (): Promise<Channel> => openRawChannel(vhost.url, opened);

/** Ready messages of `queue`, or undefined when it does not exist. */
async function depth(queue: string): Promise<number | undefined> {
  const channel = await rawChannel();
  return channel.checkQueue(queue).then(
    (ok) => ok.messageCount,
    () => undefined,
  );
}

describe('a delay-ladder queue deleted after the producer declared the ladder', () => {
  it('the next park declares the ladder again and stores the message, with a warning', async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn');
    const queue = `park-${randomUUID()}`;
    const broker = new AmqpBroker(vhost.url);
    opened.push(broker);
    const inOneHour = (): Date => new Date(Date.now() + 3_600_000);
    await broker.publish(createTaskMessage({ name: 'park.a' }), { queue, notBefore: inOneHour() });
    // One hour is 36 000 units of 100 ms: its highest binary digit is level 15 (32 768 units).
    expect(await depth('celeriac.delay.15')).toBe(1);
    await (await rawChannel()).deleteQueue('celeriac.delay.15');

    await broker.publish(createTaskMessage({ name: 'park.b' }), { queue, notBefore: inOneHour() });
    expect(await depth('celeriac.delay.15')).toBe(1);
    const lines = warn.mock.calls.map((c) => String(c[0]));
    expect(lines.some((line) => /celeriac\.delay.*no longer exists/.test(line))).toBe(true);
  });
});

describe('a delayed message for a queue declared with x-overflow: reject-publish', () => {
  it('warns once, at the first park, that RabbitMQ drops what comes out while it is full', async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn');
    const queue = `park-${randomUUID()}`;
    const args = { 'x-max-length': 1, 'x-overflow': 'reject-publish' };
    const broker = new AmqpBroker(vhost.url, { queues: { [queue]: { arguments: args } } });
    opened.push(broker);
    const soon = (): Date => new Date(Date.now() + 60_000);
    await broker.publish(createTaskMessage({ name: 'park.a' }), { queue, notBefore: soon() });
    await broker.publish(createTaskMessage({ name: 'park.b' }), { queue, notBefore: soon() });
    const lines = warn.mock.calls
      .map((c) => String(c[0]))
      .filter((line) => line.includes(queue) && /reject-publish/.test(line));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/drops one that arrives while the queue is full/);
  });
});
