import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AmqpBroker } from 'celeriac/amqp';
import { TaskClient, Task, RemoteTaskError, TaskQueueModule } from 'celeriac';
import {
  killAllChildren,
  type ManagedProcess,
  runPythonClient,
  startNodeWorker,
  startPythonWorker,
} from '../support/amqp-interop.js';
import { ensureBuilt } from '../support/interop-build.js';
import { type AmqpTestVhost, createTestVhost, listQueues } from '../support/amqp-vhost.js';
import { REDIS_URL } from '../support/redis-test-server.js';

// Python Celery 5.2.6 and Celeriac on one RabbitMQ vhost (private to this file), both ways,
// with both result backends Celery offers on RabbitMQ: rpc:// (results as messages to the
// sender's reply queue) and Redis. Python runs as real processes: the Celery worker
// (`celery -A amqp_interop worker`) and a client script that calls `send_task` and `.get()`.

const REDIS_BACKEND = REDIS_URL; // keys are celery-task-meta-<uuid>: no clash with other suites
const NODE_QUEUE = `node-${randomUUID()}`;
const PY_QUEUE = `py-${randomUUID()}`;

let vhost: AmqpTestVhost;
let redis: Redis;
const workers: ManagedProcess[] = [];
const modules: TestingModule[] = [];

beforeAll(async () => {
  await ensureBuilt(); // first: a failed build must not leave a vhost behind
  vhost = await createTestVhost('celeriac-interop-amqp');
  redis = new Redis(REDIS_URL);
  // A worker stores results into its own backend (the rpc:// one replies to the producer's
  // reply_to), so there is one worker per language and backend, each on its own queue.
  workers.push(
    ...(await Promise.all([
      startNodeWorker({ broker: vhost.url, backend: 'rpc://', queues: [`${NODE_QUEUE}-rpc`] }),
      startNodeWorker({
        broker: vhost.url,
        backend: REDIS_BACKEND,
        queues: [`${NODE_QUEUE}-redis`],
      }),
      startPythonWorker({ broker: vhost.url, backend: 'rpc://' }, `${PY_QUEUE}-rpc`),
      startPythonWorker({ broker: vhost.url, backend: REDIS_BACKEND }, `${PY_QUEUE}-redis`),
    ])),
  );
}, 120_000);

afterAll(async () => {
  for (const m of modules.splice(0)) await m.close().catch(() => undefined);
  await Promise.all(workers.splice(0).map((w) => w.stop(8_000)));
  await killAllChildren();
  redis?.disconnect();
  await vhost?.dispose();
}, 60_000);

/**
 * A Nest producer (no worker) on the vhost: `TaskQueueModule.forRoot({ broker, resultBackend })`.
 * `broker` may be an `AmqpBroker` instance (queue declarations with x-max-priority).
 */
async function producer(
  resultBackend: string,
  broker: string | AmqpBroker = vhost.url,
): Promise<TaskClient> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      TaskQueueModule.forRoot({
        broker,
        resultBackend,
        worker: { enabled: false, banner: false },
      }),
    ],
  }).compile();
  modules.push(moduleRef);
  await moduleRef.init();
  return moduleRef.get(TaskClient);
}

describe('Python send_task → Celeriac worker (interop app) → Python reads the result', () => {
  for (const backend of ['rpc://', REDIS_BACKEND]) {
    const kind = backend.split(':')[0]!;
    it(`success, InteropError failure and kwargs over ${kind}`, async () => {
      const queue = `${NODE_QUEUE}-${kind}`;
      const out = await runPythonClient({ broker: vhost.url, backend }, [
        { task: 'interop.add', queue, args: [2, 3] },
        { task: 'interop.fail', queue, args: ['boom from python'] },
        { task: 'interop.echo', queue, args: [1, 'two'], kwargs: { three: 3 } },
        { task: 'interop.add', queue, kwargs: { x: 40, y: 2 } },
      ]);
      expect(out.map((o) => o.state)).toEqual(['SUCCESS', 'FAILURE', 'SUCCESS', 'SUCCESS']);
      expect(out[0]!.result).toBe(5);
      expect(out[1]).toMatchObject({ exc_type: 'InteropError', exc_message: 'boom from python' });
      expect(out[2]!.result).toEqual({ args: [1, 'two'], kwargs: { three: 3 } });
      expect(out[3]!.result).toBe(42);
    });
  }

  it('honours a Python countdown on the Node worker (not early, on time)', async () => {
    const queue = `${NODE_QUEUE}-redis`;
    const [out] = await runPythonClient({ broker: vhost.url, backend: REDIS_BACKEND }, [
      { task: 'interop.add', queue, args: [20, 22], countdown: 3 },
    ]);
    expect(out).toMatchObject({ state: 'SUCCESS', result: 42 });
    const raw = await redis.get(`celery-task-meta-${out!.id}`);
    const done = Date.parse(JSON.parse(raw!).date_done as string);
    const due = out!.sent_at * 1000 + 3_000;
    expect(done).toBeGreaterThanOrEqual(due - 50); // never early (50 ms clock rounding)
    expect(done).toBeLessThan(due + 2_000); // and on time
  });
});

describe('Celeriac producer (Nest app) → real Python worker → Node reads the result', () => {
  for (const backend of ['rpc://', REDIS_BACKEND]) {
    const kind = backend.split(':')[0]!;
    it(`success, Python exception and kwargs over ${kind}`, async () => {
      const queue = `${PY_QUEUE}-${kind}`;
      const tasks = await producer(backend);
      const add = await tasks.send<number>('amqp_py.add', [2, 3], {}, { queue });
      const fail = await tasks.send('amqp_py.fail', ['boom from node'], {}, { queue });
      const echo = await tasks.send<{ args: unknown[]; kwargs: Record<string, unknown> }>(
        'amqp_py.echo',
        ['a'],
        { b: [1, 2] },
        { queue },
      );
      expect(await add.get({ timeout: 20_000 })).toBe(5);
      const error = await fail.get({ timeout: 20_000 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RemoteTaskError);
      expect(error).toMatchObject({ name: 'InteropError', message: 'boom from node' });
      expect(await echo.get({ timeout: 20_000 })).toMatchObject({
        args: ['a'],
        kwargs: { b: [1, 2] },
      });
      expect(await add.state()).toBe('SUCCESS');
      expect(await fail.state()).toBe('FAILURE');
    });
  }
});

const order: string[] = [];

/** A task for the in-process Node worker of the priority test: records the execution order. */
@Injectable()
class OrderTasks {
  @Task('interop_amqp.record', { params: ['label'] })
  record(label: string): string {
    order.push(label);
    return label;
  }
}

describe('priorities on RabbitMQ (x-max-priority 10 declared by both sides)', () => {
  // Celery declares NO x-max-priority by default (task_queue_max_priority unset): priorities
  // then do nothing on RabbitMQ, and a Node declaration with maxPriority would be refused with
  // PRECONDITION_FAILED (and vice versa). Both sides must declare the same value.
  const sends = [
    { label: 'low-1', priority: 0 },
    { label: 'low-2', priority: 0 },
    { label: 'mid', priority: 5 },
    { label: 'high-1', priority: 9 },
    { label: 'low-3', priority: 0 },
    { label: 'high-2', priority: 9 },
  ];
  const expected = ['high-1', 'high-2', 'mid', 'low-1', 'low-2', 'low-3'];

  it('Node producer → Python worker: higher priority runs first', async () => {
    const queue = `${PY_QUEUE}-prio`;
    const broker = new AmqpBroker(vhost.url, { queues: { [queue]: { maxPriority: 10 } } });
    const tasks = await producer(REDIS_BACKEND, broker);
    // Everything is queued before the worker starts, so RabbitMQ alone decides the order.
    const results = [];
    for (const s of sends)
      results.push(
        await tasks.send<{ label: string; at: number }>(
          'amqp_py.stamp',
          [s.label],
          {},
          {
            queue,
            priority: s.priority,
          },
        ),
      );
    const declared = (await listQueues(vhost.name)).find((q) => q.name === queue);
    expect(declared?.arguments).toContain('x-max-priority');
    workers.push(
      await startPythonWorker(
        { broker: vhost.url, backend: REDIS_BACKEND, maxPriority: 10 },
        queue,
        1,
      ),
    );
    const done = await Promise.all(results.map((r) => r.get({ timeout: 30_000 })));
    expect([...done].sort((a, b) => a.at - b.at).map((d) => d.label)).toEqual(expected);
  });

  it('Python producer → Node worker: higher priority runs first', async () => {
    const queue = `${NODE_QUEUE}-prio`;
    // Python declares the queue (x-max-priority 10) and fills it before the Node worker starts.
    await runPythonClient(
      { broker: vhost.url, backend: REDIS_BACKEND, maxPriority: 10 },
      sends.map((s) => ({
        task: 'interop_amqp.record',
        queue,
        args: [s.label],
        priority: s.priority,
      })),
      { wait: false },
    );
    const declared = (await listQueues(vhost.name)).find((q) => q.name === queue);
    expect(declared).toMatchObject({ messages: sends.length });
    expect(declared?.arguments).toContain('x-max-priority');
    order.length = 0;
    const moduleRef = await Test.createTestingModule({
      imports: [
        TaskQueueModule.forRoot({
          broker: new AmqpBroker(vhost.url, { queues: { [queue]: { maxPriority: 10 } } }),
          resultBackend: REDIS_BACKEND,
          defaultQueue: queue,
          worker: { queues: [queue], concurrency: 1, prefetch: 1, banner: false },
        }),
      ],
      providers: [OrderTasks],
    }).compile();
    modules.push(moduleRef);
    await moduleRef.init();
    await expect.poll(() => order.length, { timeout: 20_000 }).toBe(sends.length);
    expect(order).toEqual(expected);
  });
});

describe('a chain built in Python whose next step goes to a queue declared with x-max-priority', () => {
  it("the Node worker cannot send that step (not declared alike): the chain fails with the reason, Python's get() says it", async () => {
    const [outcome] = await runPythonClient({ broker: vhost.url, backend: REDIS_BACKEND }, [
      {
        task: 'interop.add',
        queue: `${NODE_QUEUE}-redis`,
        args: [1, 2],
        then: [{ task: 'amqp_py.add', queue: `${PY_QUEUE}-max10`, args: [10], max_priority: 10 }],
      },
    ]);
    expect(outcome).toMatchObject({ state: 'FAILURE', exc_type: 'ConfigurationError' });
    expect(outcome!.exc_message).toMatch(/x-max-priority.*Declare it exactly as the other side/s);
  });

  // Celery 5.2.6's trace applies link callbacks before storing the result: when that send
  // raises (PreconditionFailed here), the task itself is marked FAILURE with the error.
  it('a link callback the broker refuses fails the task itself, as in Celery', async () => {
    const [outcome] = await runPythonClient({ broker: vhost.url, backend: REDIS_BACKEND }, [
      {
        task: 'interop.add',
        queue: `${NODE_QUEUE}-redis`,
        args: [1, 2],
        link: {
          task: 'amqp_py.add',
          queue: `${PY_QUEUE}-link-max10`,
          args: [10],
          max_priority: 10,
        },
      },
    ]);
    expect(outcome).toMatchObject({ state: 'FAILURE', exc_type: 'ConfigurationError' });
    expect(outcome!.exc_message).toMatch(/x-max-priority.*Declare it exactly as the other side/s);
  });
});
