import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { INestApplicationContext } from '@nestjs/common';
import { createApp } from '../__fixtures__/create-app.js';
import { OrderTasks } from '../__fixtures__/orders.fixture.js';
import { MemoryBroker } from '../transports/memory/memory.broker.js';
import { TaskClient } from '../producer/task.client.js';
import { RemoteTaskError } from '../errors/remote-task.error.js';
import { TaskTimeoutError } from '../errors/task-timeout.error.js';
import { ResultBackendError } from '../errors/result-backend.error.js';
import { TaskQueueError } from '../errors/task-queue.error.js';
import { createTaskMessage } from '../protocol/task-message.factory.js';
import type { Broker, Delivery } from '../contracts/broker.interface.js';
import { getBrokerToken } from '../utils/tokens.js';
import { DeadLetters } from './dead-letters.js';
import { TaskEvents, type TaskEvent } from '../tasks/task-events.js';
import { WorkerService } from './worker.service.js';

const apps: INestApplicationContext[] = [];
async function app(
  options: Parameters<typeof createApp>[0] = {},
): Promise<INestApplicationContext> {
  const created = await createApp(options);
  apps.push(created);
  return created;
}
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close();
});

describe('worker on the embedded transports', () => {
  it('runs a typed task and resolves its result', async () => {
    const a = await app();
    const result = await a.get(TaskClient).get(OrderTasks, 'process').delay(21);
    await expect(result.get({ timeout: 2000 })).resolves.toEqual({ orderId: 21, total: 42 });
    expect(await result.state()).toBe('SUCCESS');
    expect(await result.ready()).toBe(true);
    expect(await result.successful()).toBe(true);
    await result.forget();
    expect(await result.state()).toBe('PENDING');
  });

  it('rejects get() with the remote error: class name, message and stack', async () => {
    const a = await app();
    const result = await a.get(TaskClient).get(OrderTasks, 'decline').delay('card expired');
    const error = await result.get({ timeout: 2000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteTaskError);
    expect(error).toMatchObject({
      name: 'PaymentDeclined',
      message: 'card expired',
      excModule: 'celeriac',
    });
    expect((error as RemoteTaskError).remoteStack).toContain('PaymentDeclined: card expired');
    expect(await result.failed()).toBe(true);
    await expect(result.get({ propagate: false })).resolves.toMatchObject({
      exc_type: 'PaymentDeclined',
    });
  });

  it('times out get() with TaskTimeoutError when nobody consumes', async () => {
    const a = await app({ worker: { enabled: false } });
    const result = await a.get(TaskClient).get(OrderTasks, 'process').delay(1);
    await expect(result.get({ timeout: 100 })).rejects.toBeInstanceOf(TaskTimeoutError);
    expect(await result.state()).toBe('PENDING');
  });

  it('says what to do when results are off', async () => {
    const a = await app({ resultBackend: false });
    const result = await a.get(TaskClient).get(OrderTasks, 'process').delay(1);
    await expect(result.get()).rejects.toThrow(ResultBackendError);
    await expect(result.get()).rejects.toThrow(/no result backend is configured/);
  });

  it('exposes the request through TaskContext without touching parameters', async () => {
    const a = await app({ worker: { hostname: 'orders@%h' } });
    const result = await a
      .get(TaskClient)
      .get(OrderTasks, 'whoami')
      .applyAsync([], { headers: { 'x-custom': 'yes' } });
    const seen = await result.get({ timeout: 2000 });
    expect(seen).toMatchObject({
      id: result.id,
      name: 'orders.whoami',
      args: [],
      retries: 0,
      rootId: result.id,
      parentId: null,
      routingKey: 'celery',
      custom: 'yes',
      aborted: false,
    });
    expect(seen.hostname).toMatch(/^orders@.+/);
  });

  it('reports progress visible through AsyncResult while running', async () => {
    const a = await app();
    const result = await a.get(TaskClient).get(OrderTasks, 'progress').delay(5);
    await expect
      .poll(async () => (await result.meta())?.status, { timeout: 2000 })
      .toBe('PROGRESS');
    expect(await result.info()).toMatchObject({ total: 5 });
    await expect(result.get({ timeout: 2000 })).resolves.toBe(5);
  });

  it('binds keyword arguments by params names, as Python callers send them', async () => {
    const a = await app();
    const tasks = a.get(TaskClient);
    await expect(
      (await tasks.send<number>('orders.add', [], { x: 2, y: 3 })).get({ timeout: 2000 }),
    ).resolves.toBe(5);
    await expect(
      (await tasks.send<number>('orders.add', [10], { y: 5 })).get({ timeout: 2000 }),
    ).resolves.toBe(15);
  });

  it('never runs more than `concurrency` tasks at once', async () => {
    const a = await app({ worker: { concurrency: 3, prefetch: 2 } });
    const producer = a.get(TaskClient).get(OrderTasks, 'slow');
    const results = await Promise.all(Array.from({ length: 12 }, () => producer.delay(30)));
    await Promise.all(results.map((r) => r.get({ timeout: 5000 })));
    expect(a.get(OrderTasks).maxConcurrent).toBe(3);
  });

  it('routes by task glob, task option and call option', async () => {
    const a = await app({
      routes: { 'notifications.*': { queue: 'mail' } },
      worker: { queues: ['celery', 'mail'] },
    });
    const events: TaskEvent[] = [];
    a.get(TaskEvents)
      .on('task-received')
      .subscribe((e) => events.push(e));
    const tasks = a.get(TaskClient);
    await (await tasks.send('notifications.email', ['a@b', 'hi'])).get({ timeout: 2000 });
    await (await tasks.send('orders.process', [1], {}, { queue: 'mail' })).get({ timeout: 2000 });
    await (await tasks.send('orders.process', [2])).get({ timeout: 2000 });
    expect(events.map((e) => e.queue)).toEqual(['mail', 'mail', 'celery']);
  });

  it('records a task sent from inside a task as its child (root and parent ids)', async () => {
    const a = await app();
    const tasks = a.get(TaskClient);
    const parent = await tasks.get(OrderTasks, 'spawn').delay();
    const childId = await parent.get({ timeout: 2000 });
    const child = await tasks.result<Record<string, unknown>>(childId).get({ timeout: 2000 });
    expect(child).toMatchObject({ id: childId, parentId: parent.id, rootId: parent.id });
  });
});

describe('bad input', () => {
  it('dead-letters an unknown task, records FAILURE NotRegistered and keeps consuming', async () => {
    const a = await app();
    const tasks = a.get(TaskClient);
    const unknown = await tasks.send('no.such.task', [1]);
    const error = await unknown.get({ timeout: 2000 }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: 'NotRegistered',
      message: 'no.such.task',
      excModule: 'celery.exceptions',
    });
    await expect.poll(() => a.get(DeadLetters).count('celery')).toBe(1);
    await expect(
      (await tasks.get(OrderTasks, 'process').delay(3)).get({ timeout: 2000 }),
    ).resolves.toMatchObject({ orderId: 3 });
  });

  it('dead-letters a malformed message with its reason; good messages still complete', async () => {
    const name = `bad-${randomUUID()}`;
    const a = await app({ broker: `memory://${name}` });
    const raw = new MemoryBroker(name);
    const good = createTaskMessage({ name: 'orders.process', args: [5] });
    await raw.publish({ ...good, body: '{not json' }, { queue: 'celery' });
    await raw.publish(
      { ...good, headers: { ...good.headers, id: randomUUID() }, body: '"just a string"' },
      { queue: 'celery' },
    );
    const ok = await a.get(TaskClient).get(OrderTasks, 'process').delay(6);
    await expect(ok.get({ timeout: 2000 })).resolves.toMatchObject({ orderId: 6 });
    const dead = a.get(DeadLetters);
    await expect.poll(() => dead.count('celery')).toBe(2);
    const letters = await dead.peek('celery');
    expect(letters.map((m) => m.headers['x-celeriac-dead-reason'])).toEqual([
      expect.stringMatching(/malformed message: The message body is not valid JSON/),
      expect.stringMatching(/body must be \[args, kwargs, embed\]/),
    ]);
    expect(await dead.count('celery')).toBe(2);
  });

  it('fails a task given too few arguments with a clear error', async () => {
    const a = await app();
    const result = await a.get(TaskClient).send('notifications.email', ['only-one']);
    await expect(result.get({ timeout: 2000 })).rejects.toThrow(
      /email\(\) missing 1 required positional argument/,
    );
  });

  it('re-drives dead letters back to their queue', async () => {
    const a = await app();
    const tasks = a.get(TaskClient);
    await tasks.send('later.registered', []);
    const dead = a.get(DeadLetters);
    await expect.poll(() => dead.count('celery')).toBe(1);
    await a.get(WorkerService).stop();
    expect(await dead.redrive('celery')).toBe(1);
    expect(await dead.count('celery')).toBe(0);
    const broker = a.get<Broker>(getBrokerToken());
    expect(await broker.queueLength('celery')).toBe(1);
    const back = await new Promise<Delivery>(
      (resolve) => void broker.consume(['celery'], resolve, { prefetch: 1 }),
    );
    expect(back.message.headers.task).toBe('later.registered');
    expect(back.message.headers['x-celeriac-dead-reason']).toBeUndefined();
  });
});

describe('graceful shutdown', () => {
  it('lets in-flight tasks finish within shutdownTimeout', async () => {
    const a = await createApp({ worker: { concurrency: 4 } });
    const producer = a.get(TaskClient).get(OrderTasks, 'slow');
    const results = await Promise.all(Array.from({ length: 4 }, () => producer.delay(150)));
    await expect.poll(() => a.get(OrderTasks).concurrent).toBe(4);
    const backendCheck = results.map((r) => r.get({ timeout: 5000 }));
    await a.close();
    await expect(Promise.all(backendCheck)).resolves.toEqual(['done', 'done', 'done', 'done']);
  });

  it('requeues what did not finish in time and what was only reserved: nothing is lost', async () => {
    const name = `shutdown-${randomUUID()}`;
    // A producer app stays up across the worker restart and keeps the named store alive.
    await app({
      broker: `memory://${name}`,
      resultBackend: `memory://${name}`,
      worker: { enabled: false },
    });
    const first = await createApp({
      broker: `memory://${name}`,
      resultBackend: `memory://${name}`,
      worker: { concurrency: 2, shutdownTimeout: 50 },
    });
    const producer = first.get(TaskClient).get(OrderTasks, 'slow');
    const results = await Promise.all(Array.from({ length: 6 }, () => producer.delay(400)));
    await expect.poll(() => first.get(OrderTasks).concurrent).toBe(2);
    await first.close();
    const second = await app({
      broker: `memory://${name}`,
      resultBackend: `memory://${name}`,
      worker: { concurrency: 6 },
    });
    await expect(Promise.all(results.map((r) => r.get({ timeout: 5000 })))).resolves.toEqual(
      Array(6).fill('done'),
    );
    void second;
  });
});

describe('WorkerService.addQueue', () => {
  it('on a worker that is not consuming, fails with a TaskQueueError saying so', async () => {
    const a = await app({ worker: { enabled: false } });
    const adding = a.get(WorkerService).addQueue(`extra-${randomUUID()}`);
    await expect(adding).rejects.toBeInstanceOf(TaskQueueError);
    await expect(adding).rejects.toThrow('the worker is not consuming (idle)');
  });
});
