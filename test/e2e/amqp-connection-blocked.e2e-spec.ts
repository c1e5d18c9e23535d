import { Logger } from '@nestjs/common';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { AmqpBroker } from 'celeriac/amqp';
import { PublishOutcomeUnknownError } from 'celeriac';
import { createTaskMessage } from 'celeriac/protocol';
import { PrivateRabbitNode } from '../support/amqp-interop.js';

// RabbitMQ blocks publishing connections during a memory (or disk) alarm. The alarm is raised
// on a private node (its memory watermark lowered), never on the shared server. The operator
// must be told once that the connection is blocked and why, and once that it is unblocked; a
// publish that times out meanwhile says the connection is blocked.

let node: PrivateRabbitNode | undefined;
const brokers: AmqpBroker[] = [];

afterEach(async () => {
  for (const broker of brokers.splice(0)) await broker.close().catch(() => undefined);
  vi.restoreAllMocks();
});
afterAll(async () => {
  await node?.stop();
}, 60_000);

describe('a RabbitMQ memory alarm (connection.blocked)', () => {
  it('logs the block with its reason and the unblock once; a publish timing out says why', async () => {
    node = await PrivateRabbitNode.start();
    const warn = vi.spyOn(Logger.prototype, 'warn');
    const log = vi.spyOn(Logger.prototype, 'log');
    const broker = new AmqpBroker(node.url, { publishTimeout: 2_000 });
    brokers.push(broker);
    const queue = 'blocked-probe';
    await broker.publish(createTaskMessage({ name: 'blocked.task', args: [1] }), { queue });

    await node.ctl('set_vm_memory_high_watermark', '0.00001');
    await expect
      .poll(() => node!.ctl('eval', 'rabbit_alarm:get_alarms().'), { timeout: 30_000 })
      .toMatch(/memory/);
    // RabbitMQ blocks a connection when it publishes during the alarm.
    const error = await broker
      .publish(createTaskMessage({ name: 'blocked.task', args: [2] }), { queue })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PublishOutcomeUnknownError);
    expect((error as Error).message).toMatch(
      /blocked this connection's publishes \(low on memory\)/,
    );
    const lines = (spy: typeof warn): string[] => spy.mock.calls.map((c) => String(c[0]));
    const blocked = lines(warn).filter((l) => /blocked publishing/.test(l));
    expect(blocked).toHaveLength(1);
    expect(blocked[0]).toMatch(/low on memory/);
    expect(blocked[0]).not.toMatch(/guest:guest/); // the URL is masked

    await node.ctl('set_vm_memory_high_watermark', '0.4');
    await expect
      .poll(() => lines(log).filter((l) => /unblocked publishing/.test(l)), { timeout: 30_000 })
      .toHaveLength(1);
    await broker.publish(createTaskMessage({ name: 'blocked.task', args: [3] }), { queue });
    expect(await broker.queueLength(queue)).toBe(3); // the timed-out one was stored after all
    expect(lines(warn).filter((l) => /blocked publishing/.test(l))).toHaveLength(1);
  }, 120_000);
});
