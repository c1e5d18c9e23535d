import { Logger } from '@nestjs/common';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AmqpBroker } from 'celeriac/amqp';
import { PublishOutcomeUnknownError } from 'celeriac';
import { createTaskMessage } from 'celeriac/protocol';
import { PrivateRabbitNode } from '../support/amqp-interop.js';

// RabbitMQ blocks publishing connections during a memory (or disk) alarm, and stops reading a
// blocked connection once it published. The alarm is raised on a private node (its memory
// watermark lowered), never on the shared server. The operator must be told once that the
// connection is blocked and why, and once that it is unblocked; a publish that times out
// meanwhile says the connection is blocked; a consuming broker closed during the alarm (a
// worker's shutdown) must not wait for the alarm to end.

let node: PrivateRabbitNode;
const brokers: AmqpBroker[] = [];

beforeAll(async () => {
  node = await PrivateRabbitNode.start();
}, 120_000);
afterEach(async () => {
  await clearAlarm();
  for (const broker of brokers.splice(0)) await broker.close().catch(() => undefined);
  vi.restoreAllMocks();
}, 60_000);
afterAll(async () => {
  await node?.stop();
}, 60_000);

async function raiseAlarm(): Promise<void> {
  await node.ctl('set_vm_memory_high_watermark', '0.00001');
  await expect
    .poll(() => node.ctl('eval', 'rabbit_alarm:get_alarms().'), { timeout: 30_000 })
    .toMatch(/memory/);
}

async function clearAlarm(): Promise<void> {
  await node.ctl('set_vm_memory_high_watermark', '0.4');
}

function openBroker(options: { publishTimeout?: number } = {}): AmqpBroker {
  const broker = new AmqpBroker(node.url, options);
  brokers.push(broker);
  return broker;
}

const send = (broker: AmqpBroker, queue: string, n: number): Promise<void> =>
  broker.publish(createTaskMessage({ name: 'blocked.task', args: [n] }), { queue });

describe('a RabbitMQ memory alarm (connection.blocked)', () => {
  it('logs the block with its reason and the unblock once; a publish timing out says why', async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn');
    const log = vi.spyOn(Logger.prototype, 'log');
    const broker = openBroker({ publishTimeout: 2_000 });
    const queue = 'blocked-probe';
    await send(broker, queue, 1);

    await raiseAlarm();
    // RabbitMQ blocks a connection when it publishes during the alarm.
    const error = await send(broker, queue, 2).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PublishOutcomeUnknownError);
    expect((error as Error).message).toMatch(
      /blocked this connection's publishes \(low on memory\)/,
    );
    const lines = (spy: typeof warn): string[] => spy.mock.calls.map((c) => String(c[0]));
    const blocked = lines(warn).filter((l) => /blocked publishing/.test(l));
    expect(blocked).toHaveLength(1);
    expect(blocked[0]).toMatch(/low on memory/);
    expect(blocked[0]).not.toMatch(/guest:guest/); // the URL is masked

    await clearAlarm();
    await expect
      .poll(() => lines(log).filter((l) => /unblocked publishing/.test(l)), { timeout: 30_000 })
      .toHaveLength(1);
    await send(broker, queue, 3);
    expect(await broker.queueLength(queue)).toBe(3); // the timed-out one was stored after all
    expect(lines(warn).filter((l) => /blocked publishing/.test(l))).toHaveLength(1);
  }, 120_000);

  it('closing a blocked consuming broker drops the connection after publishTimeout, says why, and the messages go back', async () => {
    const broker = new AmqpBroker(node.url, { publishTimeout: 2_000 });
    const queue = 'blocked-close';
    await send(broker, queue, 1);
    // Holds the message unacked.
    await broker.consume([queue], () => undefined, { prefetch: 1 });
    const warnings: string[] = [];
    vi.spyOn(Logger.prototype, 'warn').mockImplementation(
      (l: unknown) => void warnings.push(String(l)),
    );
    await raiseAlarm();
    // Publishing during the alarm makes RabbitMQ block the connection (and stop reading it).
    await send(broker, queue, 2).catch(() => undefined);
    const started = Date.now();
    await Promise.race([broker.close(), new Promise((r) => setTimeout(r, 15_000))]);
    const took = Date.now() - started;
    await clearAlarm();

    expect(took).toBeLessThan(8_000);
    expect(warnings.join('\n')).toMatch(
      /did not answer the close within 2000 ms \(it blocked this connection: low on memory\): dropping the connection/,
    );
    // The unacked message went back: both are in the queue once the alarm is gone.
    const reader = openBroker();
    await expect.poll(() => reader.queueLength(queue), { timeout: 10_000 }).toBe(2);
  }, 120_000);
});
