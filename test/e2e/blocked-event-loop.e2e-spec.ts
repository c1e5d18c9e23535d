import { type INestApplicationContext, Logger } from '@nestjs/common';
import { TaskClient, type Broker } from 'celeriac';
import { AmqpBroker } from 'celeriac/amqp';
import { RedisBroker } from 'celeriac/redis';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../libs/task-queue/src/__fixtures__/create-app.js';
import { usePrivateVhost } from '../support/amqp-vhost.js';
import { FaultModule, FaultTasks } from '../support/fault-tasks.js';
import { deleteKeys, REDIS_URL } from '../support/redis-test-server.js';

/**
 * A handler that holds the event loop (synchronous CPU work) longer than the broker's
 * publishTimeout, in a process that also publishes: the broker's answer arrived during the
 * stall and waits in the socket. It must be read before a deadline that passed meanwhile
 * gives its verdict, or a publish the broker stored is reported as failed.
 */
const vhost = usePrivateVhost('celeriac-blocked-loop');
const PUBLISH_TIMEOUT = 1_000;
const BLOCK_SECONDS = 2.5;

const apps: INestApplicationContext[] = [];
const queues: string[] = [];

afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
  for (const queue of queues.splice(0))
    await deleteKeys(REDIS_URL, queue, `_kombu.binding.${queue}`);
});

const brokers: Array<[string, () => Broker]> = [
  ['Redis', () => new RedisBroker(REDIS_URL, { publishTimeout: PUBLISH_TIMEOUT })],
  ['RabbitMQ', () => new AmqpBroker(vhost.url, { publishTimeout: PUBLISH_TIMEOUT })],
];

/** A worker app with the fault tasks on `broker`, its results in Redis. */
async function faultApp(broker: Broker, queue: string): Promise<INestApplicationContext> {
  const app = await createApp(
    {
      broker,
      resultBackend: REDIS_URL,
      defaultQueue: queue,
      resultExpires: 600,
      worker: { concurrency: 2 },
    },
    [FaultModule],
  );
  apps.push(app);
  return app;
}

describe.each(brokers)(
  'a handler that blocks the event loop past publishTimeout (%s)',
  (_name, broker) => {
    it('does not fail the publish the broker answered meanwhile; the task and the next one run', async () => {
      const queue = `blocked-${randomUUID()}`;
      queues.push(queue);
      const client = (await faultApp(broker(), queue)).get(TaskClient);
      // Warm the connections so the blocking send is the only thing in flight.
      await expect(
        (await client.send('fault.len', ['warm'])).get({ timeout: 15_000 }),
      ).resolves.toBe(4);
      // The handler starts as soon as the message arrives, before the send's answer is read.
      const blocked = await client.send('fault.block', [BLOCK_SECONDS]);
      await expect(blocked.get({ timeout: 30_000 })).resolves.toBe('blocked');
      const next = await client.send('fault.len', ['abc']);
      await expect(next.get({ timeout: 15_000 })).resolves.toBe(3);
    }, 60_000);
  },
);

describe('a handler that blocks past the RabbitMQ heartbeat timeout', () => {
  it('runs once: RabbitMQ drops the connection and redelivers, the worker acks the redelivery without running it', async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn');
    const queue = `blocked-hb-${randomUUID()}`;
    const app = await faultApp(new AmqpBroker(vhost.url, { heartbeat: 1 }), queue);
    // Longer than RabbitMQ's missed-heartbeat timeout: it closes the connection meanwhile.
    const blocked = await app.get(TaskClient).send('fault.block', [4]);
    await expect(blocked.get({ timeout: 30_000 })).resolves.toBe('blocked');
    const said = (): boolean =>
      warn.mock.calls.some(([line]) => String(line).includes(`Task ${blocked.id} came back`));
    await expect.poll(said, { timeout: 30_000 }).toBe(true);
    expect(FaultTasks.runs.get(blocked.id)).toBe(1);
    const next = await app.get(TaskClient).send('fault.len', ['abcd']);
    await expect(next.get({ timeout: 15_000 })).resolves.toBe(4);
    warn.mockRestore();
  }, 90_000);
});
