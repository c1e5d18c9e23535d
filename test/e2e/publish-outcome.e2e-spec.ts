import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AmqpBroker } from 'celeriac/amqp';
import { RedisBroker } from 'celeriac/redis';
import { TaskClient } from 'celeriac';
import { Task } from 'celeriac';
import { BrokerConnectionError } from 'celeriac';
import { PublishOutcomeUnknownError } from 'celeriac';
import { createTaskMessage } from 'celeriac/protocol';
import { type AmqpTestVhost, createTestVhost } from '../support/amqp-vhost.js';
import { PausableProxy } from '../support/pausable-proxy.js';
import { deleteKeys, deleteResults, freePort, REDIS_URL } from '../support/redis-test-server.js';
import { createTaskQueueApp } from '../support/task-queue-app.js';
import { uniqueName } from '../support/unique-name.js';

// A publish that gets no answer may still be delivered: it must fail with
// PublishOutcomeUnknownError carrying the task id (so a retry reuses the id and `dedupe`
// drops the copy), and a publish that never left must say that nothing was sent.

const runs = new Map<string, number>();

@Injectable()
class OutcomeTasks {
  @Task('outcome.once', { dedupe: true })
  once(key: string): string {
    runs.set(key, (runs.get(key) ?? 0) + 1);
    return key;
  }
}

const modules: TestingModule[] = [];
const ids: string[] = [];

async function app(
  broker: string | RedisBroker | AmqpBroker,
  queue: string,
  worker: boolean,
): Promise<TestingModule> {
  const moduleRef = await createTaskQueueApp(
    {
      broker,
      resultBackend: REDIS_URL,
      defaultQueue: queue,
      events: { enabled: false },
      worker: { enabled: worker, queues: [queue], concurrency: 1 },
    },
    { providers: [OutcomeTasks] },
  );
  modules.push(moduleRef);
  return moduleRef;
}

afterAll(async () => {
  for (const m of modules.splice(0).reverse()) await m.close().catch(() => undefined);
  await deleteResults(REDIS_URL, ids).catch(() => undefined);
}, 60_000);

describe('Redis: a publish with no answer has an unknown outcome', () => {
  let proxy: PausableProxy;
  const queue = uniqueName('outcome-redis');

  beforeAll(async () => {
    proxy = await PausableProxy.start(6379);
  });
  afterAll(async () => {
    await proxy?.close();
    await deleteKeys(REDIS_URL, queue, `_kombu.binding.${queue}`).catch(() => undefined);
  });

  it('fails with PublishOutcomeUnknownError and the task id; a retry with that id runs once', async () => {
    const broker = new RedisBroker(`redis://127.0.0.1:${proxy.port}/0`, { publishTimeout: 800 });
    const producer = (await app(broker, queue, false)).get(TaskClient);
    const worker = await app(REDIS_URL, queue, true);
    const key = randomUUID();

    proxy.pause();
    const error = await producer
      .send('outcome.once', [key])
      .then(() => undefined)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PublishOutcomeUnknownError);
    expect(error).toBeInstanceOf(BrokerConnectionError); // still one of the hierarchy's
    const taskId = (error as PublishOutcomeUnknownError).taskId!;
    expect(taskId).toMatch(/^[0-9a-f-]{36}$/);
    expect((error as Error).message).toMatch(/Outcome unknown/);
    ids.push(taskId);

    // It was delivered after all, once Redis answered.
    proxy.resume();
    const tasks = worker.get(TaskClient);
    await expect(tasks.result(taskId).get({ timeout: 15_000 })).resolves.toBe(key);

    // The producer retries with the same id: the worker drops the copy (dedupe).
    const retried = await producer.send('outcome.once', [key], {}, { taskId });
    expect(retried.id).toBe(taskId);
    const sentinel = await producer.send('outcome.once', [`${key}-sentinel`]);
    ids.push(sentinel.id);
    await sentinel.get({ timeout: 15_000 }); // concurrency 1, FIFO: the copy was handled
    expect(runs.get(key)).toBe(1);
  }, 60_000);

  it('a publish to an unreachable Redis says nothing was sent (not an unknown outcome)', async () => {
    const broker = new RedisBroker(`redis://127.0.0.1:${await freePort()}/0`, {
      publishTimeout: 300,
    });
    try {
      const error = await broker
        .publish(createTaskMessage({ name: 'x', args: [] }), { queue })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BrokerConnectionError);
      expect(error).not.toBeInstanceOf(PublishOutcomeUnknownError);
      expect((error as Error).message).toMatch(/nothing was sent: .*ECONNREFUSED/);
    } finally {
      await broker.close();
    }
  });
});

describe('RabbitMQ: an unconfirmed publish has an unknown outcome', () => {
  let vhost: AmqpTestVhost;
  let proxy: PausableProxy;

  beforeAll(async () => {
    vhost = await createTestVhost('celeriac-outcome');
    proxy = await PausableProxy.start(5672);
  }, 60_000);
  afterAll(async () => {
    await proxy?.close();
    await vhost?.dispose();
  }, 60_000);

  it('fails with PublishOutcomeUnknownError and the task id; the message still arrives', async () => {
    const queue = uniqueName('outcome-amqp');
    const proxied = vhost.url.replace(':5672/', `:${proxy.port}/`);
    const broker = new AmqpBroker(proxied, { publishTimeout: 800, queues: { [queue]: {} } });
    const direct = new AmqpBroker(vhost.url);
    try {
      await broker.connect();
      await direct.connect();
      // The queue is declared and the confirm channel open: the next publish only waits for
      // its confirm.
      await broker.publish(createTaskMessage({ name: 'outcome.once', args: ['w'] }), { queue });
      const message = createTaskMessage({ name: 'outcome.once', args: ['x'] });
      proxy.pause();
      const error = await broker.publish(message, { queue }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PublishOutcomeUnknownError);
      expect((error as PublishOutcomeUnknownError).taskId).toBe(message.headers.id);
      expect((error as Error).message).toMatch(/may or may not have been stored/);
      proxy.resume();
      await expect.poll(() => direct.queueLength(queue), { timeout: 10_000 }).toBe(2);
    } finally {
      await broker.close();
      await direct.close();
    }
  }, 60_000);

  it('a broker that hangs before the message is written: nothing was sent, within the timeout', async () => {
    const queue = uniqueName('outcome-amqp');
    const proxied = vhost.url.replace(':5672/', `:${proxy.port}/`);
    const broker = new AmqpBroker(proxied, { publishTimeout: 800 });
    const direct = new AmqpBroker(vhost.url);
    try {
      await broker.connect();
      await direct.connect();
      proxy.pause(); // the queue declaration gets no answer
      const started = Date.now();
      const message = createTaskMessage({ name: 'outcome.once', args: ['y'] });
      const error = await broker.publish(message, { queue }).catch((e: unknown) => e);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(error).toBeInstanceOf(BrokerConnectionError);
      expect(error).not.toBeInstanceOf(PublishOutcomeUnknownError);
      expect((error as Error).message).toMatch(/nothing was sent/);
      proxy.resume();
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await direct.queueLength(queue)).toBe(0); // and it never is
    } finally {
      proxy.resume();
      await broker.close();
      await direct.close();
    }
  }, 60_000);
});
