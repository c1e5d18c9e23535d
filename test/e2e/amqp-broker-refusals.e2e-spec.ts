import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import type { Channel } from 'amqplib';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { Logger } from '@nestjs/common';
import { AmqpBroker } from 'celeriac/amqp';
import {
  BrokerConnectionError,
  chain,
  PublishOutcomeUnknownError,
  RemoteTaskError,
  Task,
  TaskClient,
  TaskQueueHealth,
} from 'celeriac';
import { TaskQueueMetricsModule } from 'celeriac/prometheus';
import { createTaskMessage } from 'celeriac/protocol';
import { Registry } from 'prom-client';
import { usePrivateVhost } from '../support/amqp-vhost.js';
import { type Closable, openRawChannel } from '../support/raw-amqp-channel.js';
import { deleteResults, REDIS_URL } from '../support/redis-test-server.js';
import { createTaskQueueApp } from '../support/task-queue-app.js';

// What RabbitMQ refuses or drops must reach the producer as an error, never as a silent loss:
// a queue deleted under a producer that declared it earlier, and a full queue
// (x-overflow: reject-publish) that nacks the publish.

const vhost = usePrivateVhost('celeriac-refusals');

@Injectable()
class RefusalTasks {
  @Task('refusals.add')
  add(a: number, b: number): number {
    return a + b;
  }
}

const opened: Closable[] = [];
const ids: string[] = [];
afterEach(async () => {
  for (const item of opened.splice(0).reverse()) await item.close().catch(() => undefined);
  vi.restoreAllMocks();
});
afterAll(async () => {
  await deleteResults(REDIS_URL, ids).catch(() => undefined);
});

const rawChannel = (): Promise<Channel> => openRawChannel(vhost.url, opened);

async function app(queue: string, worker: boolean, registry?: Registry): Promise<TestingModule> {
  const moduleRef = await createTaskQueueApp(
    {
      broker: vhost.url,
      resultBackend: REDIS_URL,
      defaultQueue: queue,
      events: { enabled: false },
      worker: { enabled: worker, queues: [queue], concurrency: 1 },
    },
    {
      imports: registry ? [TaskQueueMetricsModule.forRoot({ path: false, registry })] : [],
      providers: [RefusalTasks],
    },
  );
  opened.push(moduleRef);
  return moduleRef;
}

describe('a queue deleted after the producer declared it', () => {
  it('the next publish declares it again and stores the message (no silent loss)', async () => {
    const queue = `refusals-${randomUUID()}`;
    const broker = new AmqpBroker(vhost.url);
    opened.push(broker);
    await broker.publish(createTaskMessage({ name: 'refusals.add', args: [1, 2] }), { queue });
    const channel = await rawChannel();
    await channel.deleteQueue(queue);

    await broker.publish(createTaskMessage({ name: 'refusals.add', args: [2, 3] }), { queue });
    // Resolved: RabbitMQ holds it.
    expect((await channel.checkQueue(queue)).messageCount).toBe(1);
  });

  it('a task sent right after the deletion runs on the worker, which re-subscribed', async () => {
    const queue = `refusals-${randomUUID()}`;
    await app(queue, true);
    const producer = (await app(queue, false)).get(TaskClient);
    const first = await producer.send<number>('refusals.add', [1, 2]);
    ids.push(first.id);
    await expect(first.get({ timeout: 15_000 })).resolves.toBe(3);

    await (await rawChannel()).deleteQueue(queue);
    const after = await producer.send<number>('refusals.add', [2, 3]);
    ids.push(after.id);
    await expect(after.get({ timeout: 30_000 })).resolves.toBe(5);
  });
});

describe('a full queue that rejects publishes (x-overflow: reject-publish)', () => {
  it('fails the publish with a BrokerConnectionError naming the queue limit; nothing was stored', async () => {
    const queue = `refusals-${randomUUID()}`;
    const args = { 'x-max-length': 1, 'x-overflow': 'reject-publish' };
    const broker = new AmqpBroker(vhost.url, { queues: { [queue]: { arguments: args } } });
    opened.push(broker);
    await broker.publish(createTaskMessage({ name: 'refusals.add', args: [1, 2] }), { queue });
    const error = await broker
      .publish(createTaskMessage({ name: 'refusals.add', args: [2, 3] }), { queue })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BrokerConnectionError);
    expect(error).not.toBeInstanceOf(PublishOutcomeUnknownError);
    expect((error as Error).message).toMatch(/refused \(nacked\).*not stored/);
    expect((error as Error).message).toMatch(/x-max-length/);
    expect((await (await rawChannel()).checkQueue(queue)).messageCount).toBe(1);
  });
});

describe('a queue deleted and declared again by someone else with other arguments', () => {
  it('the worker says once why it cannot consume, is not ready meanwhile, retries quietly, and says when it resumed', async () => {
    const queue = `refusals-${randomUUID()}`;
    const warn = vi.spyOn(Logger.prototype, 'warn');
    const log = vi.spyOn(Logger.prototype, 'log');
    const registry = new Registry();
    const consuming = async (): Promise<number | undefined> =>
      (await registry.getSingleMetric('celeriac_worker_consuming')?.get())?.values[0]?.value;
    const health = (await app(queue, true, registry)).get(TaskQueueHealth);
    expect((await health.ready()).up).toBe(true);
    expect(await consuming()).toBe(1);
    const producer = (await app(queue, false)).get(TaskClient);
    const first = await producer.send<number>('refusals.add', [1, 2]);
    ids.push(first.id);
    await expect(first.get({ timeout: 15_000 })).resolves.toBe(3);

    const channel = await rawChannel();
    await channel.deleteQueue(queue);
    await channel.assertQueue(queue, { durable: true, arguments: { 'x-max-priority': 10 } });
    const lines = (spy: typeof warn, pattern: RegExp): string[] =>
      spy.mock.calls.map((c) => String(c[0])).filter((line) => pattern.test(line));
    const cannot = /Could not resume consuming/;
    await expect.poll(() => lines(warn, cannot), { timeout: 15_000 }).toHaveLength(1);
    expect(lines(warn, cannot)[0]).toMatch(/x-max-priority.*Declare it exactly as the other side/s);
    // The broker answers, yet nothing is consumed: readiness says so, with the reason.
    // (Was: up, `consuming: true`, for as long as the stray declaration stayed.)
    const stalled = await health.ready();
    expect(stalled.up).toBe(false);
    expect(stalled.checks.broker?.up).toBe(true);
    expect(stalled.checks.consumer).toMatchObject({
      up: false,
      details: { consuming: false, message: expect.stringMatching(/x-max-priority/) },
    });
    expect(await consuming()).toBe(0);
    // Three more attempts (1 s, 2 s, 4 s apart) fail the same way: no more lines.
    await new Promise((resolve) => setTimeout(resolve, 8_000));
    expect(lines(warn, cannot)).toHaveLength(1);

    await channel.deleteQueue(queue); // the operator removes the stray declaration
    await expect
      .poll(() => lines(log, /Resumed consuming/), { timeout: 40_000, interval: 500 })
      .toHaveLength(1);
    expect((await health.ready()).up).toBe(true);
    expect(await consuming()).toBe(1);
    const after = await producer.send<number>('refusals.add', [2, 3]);
    ids.push(after.id);
    await expect(after.get({ timeout: 30_000 })).resolves.toBe(5);
  }, 90_000);
});

describe("a queue whose exchange Celery declared as topic (task_queues with Exchange(type='topic'))", () => {
  it('the worker consumes it, warns once that it leaves that exchange alone, and Python-style routing keys reach it', async () => {
    const queue = `refusals-${randomUUID()}`;
    const channel = await rawChannel();
    await channel.assertExchange(queue, 'topic', { durable: true });
    await channel.assertQueue(queue, { durable: true });
    await channel.bindQueue(queue, queue, 'feed.#');
    const warn = vi.spyOn(Logger.prototype, 'warn');
    const producer = (await app(queue, true)).get(TaskClient); // one app: one warning
    const direct = await producer.send<number>('refusals.add', [1, 2]);
    ids.push(direct.id);
    await expect(direct.get({ timeout: 15_000 })).resolves.toBe(3);
    // What a Celery producer routed through the topic exchange reaches the Node worker.
    const message = createTaskMessage({ name: 'refusals.add', args: [2, 3] });
    ids.push(message.headers.id);
    channel.publish(queue, 'feed.import', Buffer.from(message.body), {
      headers: message.headers,
      contentType: message.contentType,
      contentEncoding: message.contentEncoding,
      correlationId: message.headers.id,
    });
    await expect(
      producer.result<number>(message.headers.id).get({ timeout: 15_000 }),
    ).resolves.toBe(5);
    const lines = warn.mock.calls.map((c) => String(c[0])).filter((l) => l.includes(`"${queue}"`));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/topic.*exchange: ''/s);
    // Celery's topology is left as it was: still a topic exchange, with its one binding.
    await channel.checkExchange(queue);
  });
});

describe('a chain step the worker cannot send (its queue exists with other arguments)', () => {
  it("the task and the rest of the chain fail with the reason: the caller's get() rejects instead of waiting", async () => {
    const queue = `refusals-${randomUUID()}`;
    const foreign = `refusals-py-${randomUUID()}`; // a Python worker's x-max-priority queue
    await (
      await rawChannel()
    ).assertQueue(foreign, {
      durable: true,
      arguments: { 'x-max-priority': 10 },
    });
    const producer = (await app(queue, true)).get(TaskClient);
    const step = (args: number[], options = {}) =>
      producer.signature<number>('refusals.add', args, {}, options);
    const result = await chain(step([1, 2]), step([10], { queue: foreign }), step([100])).delay();
    const middle = producer.result<number>(result.parent!.id);
    const first = producer.result<number>(result.parent!.parent!.id);
    ids.push(result.id, middle.id, first.id);
    const error = await result.get({ timeout: 15_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteTaskError);
    expect((error as RemoteTaskError).message).toMatch(/x-max-priority.*Declare it exactly/s);
    await expect(middle.state()).resolves.toBe('FAILURE');
    // As in Celery 5.2.6, whose trace sends the next step before storing the result: the task
    // whose step was refused fails with the reason too.
    await expect(first.state()).resolves.toBe('FAILURE');
  });
});
