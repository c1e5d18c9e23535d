import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AmqpBroker } from 'celeriac/amqp';
import { createTaskMessage } from 'celeriac/protocol';
import { type AmqpTestVhost, createTestVhost } from '../support/amqp-vhost.js';
import { PausableProxy } from '../support/pausable-proxy.js';

// A RabbitMQ outage with many failed reconnect attempts: the connection logs the loss once
// (URL with the password masked, what it does next) and its recovery once, not every retry.

let vhost: AmqpTestVhost;
let proxy: PausableProxy;

beforeAll(async () => {
  vhost = await createTestVhost('celeriac-outage');
  proxy = await PausableProxy.start(5672);
}, 60_000);

afterAll(async () => {
  vi.restoreAllMocks();
  await proxy?.close();
  await vhost?.dispose();
}, 60_000);

describe('RabbitMQ outage logging', () => {
  it('logs the loss once with the masked URL, no line per failed retry, and the recovery', async () => {
    const lines: string[] = [];
    for (const level of ['log', 'warn', 'error'] as const) {
      vi.spyOn(Logger.prototype, level).mockImplementation((message: unknown) => {
        lines.push(`${level} ${String(message)}`);
      });
    }
    const url = vhost.url.replace(':5672/', `:${proxy.port}/`);
    const broker = new AmqpBroker(url, { reconnect: { initialDelay: 50, maxDelay: 200 } });
    const queue = `outage-${randomUUID().slice(0, 8)}`;
    try {
      await broker.connect();
      proxy.refuse();
      await expect.poll(() => broker.connection.isConnected).toBe(false);
      await new Promise((resolve) => setTimeout(resolve, 2_000)); // ~10 failed attempts
      proxy.accept();
      await expect.poll(() => broker.connection.isConnected, { timeout: 10_000 }).toBe(true);
      await broker.publish(createTaskMessage({ name: 'x', args: [] }), { queue });

      const lost = lines.filter((l) => /RabbitMQ connection to .* lost/.test(l));
      expect(lost).toHaveLength(1);
      expect(lost[0]).toContain(`amqp://guest:***@127.0.0.1:${proxy.port}/`);
      expect(lost[0]).not.toContain('guest:guest');
      expect(lost[0]).toMatch(/Reconnecting in \d+ ms/);
      expect(lines.filter((l) => /reconnect attempt/.test(l))).toEqual([]);
      const restored = lines.filter((l) => /restored after (\d+) attempt/.test(l));
      expect(restored).toHaveLength(1);
      expect(Number(/after (\d+) attempt/.exec(restored[0]!)![1])).toBeGreaterThan(3);
    } finally {
      vi.restoreAllMocks();
      await broker.purge(queue).catch(() => undefined);
      await broker.close();
    }
  }, 60_000);

  it('closing a consumer while RabbitMQ is unreachable does not warn that consuming could not resume', async () => {
    const lines: string[] = [];
    for (const level of ['warn', 'error'] as const) {
      vi.spyOn(Logger.prototype, level).mockImplementation((message: unknown) => {
        lines.push(`${level} ${String(message)}`);
      });
    }
    const url = vhost.url.replace(':5672/', `:${proxy.port}/`);
    const broker = new AmqpBroker(url, { reconnect: { initialDelay: 50, maxDelay: 200 } });
    const queue = `outage-close-${randomUUID().slice(0, 8)}`;
    try {
      await broker.connect();
      await broker.consume([queue], () => undefined, { prefetch: 1 });
      proxy.refuse();
      await expect.poll(() => broker.connection.isConnected).toBe(false);
      // The consumer waits for the reconnect (its wait listens for the connection's close).
      await expect
        .poll(() => broker.connection.listenerCount('closed'), { timeout: 10_000 })
        .toBeGreaterThan(0);
      await broker.close(); // a shutdown during the outage
      expect(lines.filter((l) => /Could not resume consuming/.test(l))).toEqual([]);
    } finally {
      vi.restoreAllMocks();
      proxy.accept();
      await broker.close();
    }
  }, 60_000);
});
