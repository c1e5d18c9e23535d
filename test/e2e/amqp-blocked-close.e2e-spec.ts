import { Logger } from '@nestjs/common';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { AmqpBroker } from 'celeriac/amqp';
import { createTaskMessage } from 'celeriac/protocol';
import { PrivateRabbitNode } from '../support/amqp-interop.js';

// RabbitMQ stops reading a connection it blocked (a memory alarm on a private node) once that
// connection published. A consuming broker closed then (a worker's shutdown) waited for its
// consumer cancel and channel close to be answered, so the process did not exit for as long as
// the alarm lasted. The close must end within publishTimeout and say what it did.

let node: PrivateRabbitNode | undefined;
afterAll(async () => {
  await node?.stop();
}, 60_000);

describe('closing a consuming broker that RabbitMQ blocked (memory alarm)', () => {
  it('drops the connection after publishTimeout, says why, and the messages go back', async () => {
    node = await PrivateRabbitNode.start();
    const broker = new AmqpBroker(node.url, { publishTimeout: 2_000 });
    const queue = 'blocked-close';
    await broker.publish(createTaskMessage({ name: 'blocked.task', args: [1] }), { queue });
    // Holds the message unacked.
    await broker.consume([queue], () => undefined, { prefetch: 1 });
    const warnings: string[] = [];
    vi.spyOn(Logger.prototype, 'warn').mockImplementation(
      (l: unknown) => void warnings.push(String(l)),
    );
    let took: number;
    try {
      await node.ctl('set_vm_memory_high_watermark', '0.00001');
      await expect
        .poll(() => node!.ctl('eval', 'rabbit_alarm:get_alarms().'), { timeout: 30_000 })
        .toMatch(/memory/);
      // Publishing during the alarm makes RabbitMQ block the connection (and stop reading it).
      await broker
        .publish(createTaskMessage({ name: 'blocked.task', args: [2] }), { queue })
        .catch(() => undefined);
      const started = Date.now();
      const closing = broker.close();
      await Promise.race([closing, new Promise((r) => setTimeout(r, 15_000))]);
      took = Date.now() - started;
    } finally {
      await node.ctl('set_vm_memory_high_watermark', '0.4');
      vi.restoreAllMocks();
    }
    expect(took).toBeLessThan(8_000);
    expect(warnings.join('\n')).toMatch(
      /did not answer the close within 2000 ms \(it blocked this connection: low on memory\): dropping the connection/,
    );
    // The unacked message went back: both are in the queue once the alarm is gone.
    const reader = new AmqpBroker(node.url);
    try {
      await expect.poll(() => reader.queueLength(queue), { timeout: 10_000 }).toBe(2);
    } finally {
      await reader.close();
    }
  }, 120_000);
});
