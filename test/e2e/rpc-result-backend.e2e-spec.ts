import { randomUUID } from 'node:crypto';
import { connect, type Channel } from 'amqplib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RpcResultBackend, AmqpBroker } from 'celeriac/amqp';
import { TaskTimeoutError } from 'celeriac';
import { meta } from '../../libs/task-queue/src/testing/conformance/result-backend.conformance.js';
import { type AmqpTestVhost, createTestVhost, listQueues } from '../support/amqp-vhost.js';

// rpc:// results are visible only to the producer that owns the reply queue, so the shared
// result-backend conformance suite (any instance reads any result) does not apply; these are
// its equivalents. Everything runs in a private vhost deleted afterwards.
let vhost: AmqpTestVhost;
beforeAll(async () => {
  vhost = await createTestVhost('celeriac-rpc-backend');
});
afterAll(async () => {
  await vhost?.dispose();
});

describe('RpcResultBackend (rpc://)', () => {
  const opened: { close(): Promise<void> }[] = [];
  const open = async (): Promise<RpcResultBackend> => {
    const backend = new RpcResultBackend(vhost.url);
    opened.push(backend);
    await backend.connect();
    return backend;
  };
  /** A producer (owns the reply queue) and a worker (only publishes), as two processes. */
  const pair = async () => {
    const producer = await open();
    const worker = await open();
    const taskId = randomUUID();
    const context = { replyTo: producer.replyTo, correlationId: taskId };
    return { producer, worker, taskId, context };
  };
  const raw = async (): Promise<Channel> => {
    const model = await connect(vhost.url);
    opened.push(model);
    return model.createChannel();
  };

  afterEach(async () => {
    for (const item of opened.splice(0).reverse()) await item.close().catch(() => undefined);
  });

  it('knows nothing of an unknown task', async () => {
    const { producer, taskId } = await pair();
    expect(await producer.get(taskId)).toBeNull();
  });

  it('declares its reply queue as Celery does (named by an oid, non-durable, x-expires) and deletes it on close', async () => {
    const producer = await open();
    expect(producer.replyTo).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
    const ch = await raw();
    ch.on('error', () => undefined);
    // Celery's declaration arguments for the oid queue are accepted as equivalent.
    await ch.assertQueue(producer.replyTo, {
      durable: false,
      arguments: { 'x-expires': 86_400_000 },
    });
    await producer.close();
    expect((await listQueues(vhost.name)).some((q) => q.name === producer.replyTo)).toBe(false);
  });

  it('wakes the producer when a worker stores the result with the request context', async () => {
    const { producer, worker, taskId, context } = await pair();
    const waiting = producer.waitForReady(taskId, { timeout: 10_000 });
    await worker.store(meta(taskId, 'STARTED'), context);
    await worker.store(meta(taskId, 'SUCCESS', { total: 5 }), context);
    await expect(waiting).resolves.toMatchObject({
      task_id: taskId,
      status: 'SUCCESS',
      result: { total: 5 },
    });
  });

  it('resolves at once when the result already arrived', async () => {
    const { producer, worker, taskId, context } = await pair();
    const error = { exc_type: 'ValueError', exc_message: ['bad'], exc_module: 'builtins' };
    await worker.store({ ...meta(taskId, 'FAILURE', error), traceback: 'Traceback...' }, context);
    await expect.poll(() => producer.get(taskId)).not.toBeNull();
    await expect(producer.waitForReady(taskId, { timeout: 2_000 })).resolves.toMatchObject({
      status: 'FAILURE',
      result: error,
      traceback: 'Traceback...',
    });
  });

  it('returns the latest state, and never lets a late non-ready state hide a ready one', async () => {
    const { producer, worker, taskId, context } = await pair();
    await worker.store(meta(taskId, 'STARTED'), context);
    await expect.poll(async () => (await producer.get(taskId))?.status).toBe('STARTED');
    await worker.store(meta(taskId, 'PROGRESS', { done: 3, total: 10 }), context);
    await expect
      .poll(async () => (await producer.get(taskId))?.result)
      .toEqual({ done: 3, total: 10 });
    await worker.store(meta(taskId, 'SUCCESS', 1), context);
    await worker.store(meta(taskId, 'STARTED'), context);
    await producer.waitForReady(taskId, { timeout: 5_000 });
    await new Promise((r) => setTimeout(r, 200));
    expect((await producer.get(taskId))?.status).toBe('SUCCESS');
  });

  it('serves many concurrent waiters', async () => {
    const { producer, worker } = await pair();
    const ids = Array.from({ length: 50 }, () => randomUUID());
    const waits = ids.map((id) => producer.waitForReady(id, { timeout: 10_000 }));
    await Promise.all(
      ids.map((id, i) =>
        worker.store(meta(id, 'SUCCESS', i), { replyTo: producer.replyTo, correlationId: id }),
      ),
    );
    expect((await Promise.all(waits)).map((m) => m.result)).toEqual(ids.map((_, i) => i));
  });

  it('times out with TaskTimeoutError', async () => {
    const { producer, taskId } = await pair();
    await expect(producer.waitForReady(taskId, { timeout: 200 })).rejects.toBeInstanceOf(
      TaskTimeoutError,
    );
  });

  it('stops waiting when aborted', async () => {
    const { producer, taskId } = await pair();
    const controller = new AbortController();
    const waiting = producer.waitForReady(taskId, { signal: controller.signal });
    controller.abort(new Error('caller gave up'));
    await expect(waiting).rejects.toThrow('caller gave up');
  });

  it('forgets a result', async () => {
    const { producer, worker, taskId, context } = await pair();
    await worker.store(meta(taskId, 'SUCCESS', 1), context);
    await producer.waitForReady(taskId, { timeout: 5_000 });
    await producer.forget(taskId);
    expect(await producer.get(taskId)).toBeNull();
  });

  it('shows results only to the producer that owns the reply queue', async () => {
    const { producer, worker, taskId, context } = await pair();
    await worker.store(meta(taskId, 'SUCCESS', 1), context);
    await producer.waitForReady(taskId, { timeout: 5_000 });
    expect(await worker.get(taskId)).toBeNull();
  });

  it('sends nothing when the request has no reply_to (as Celery)', async () => {
    const { worker, taskId } = await pair();
    await expect(
      worker.store(meta(taskId, 'SUCCESS', 1), { replyTo: '', correlationId: taskId }),
    ).resolves.toBeUndefined();
  });

  it("publishes Celery's rpc reply: default exchange, routing key reply_to, correlation_id, delivery_mode 1, JSON meta", async () => {
    const worker = await open();
    const ch = await raw();
    const { queue } = await ch.assertQueue('', { exclusive: true });
    const taskId = randomUUID();
    const stored = meta(taskId, 'SUCCESS', 5);
    await worker.store(stored, { replyTo: queue, correlationId: taskId });
    const got = await ch.get(queue, { noAck: true });
    if (!got) throw new Error('no reply');
    expect(got.fields).toMatchObject({ exchange: '', routingKey: queue });
    expect(got.properties).toMatchObject({
      correlationId: taskId,
      deliveryMode: 1,
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      headers: {},
    });
    expect(JSON.parse(got.content.toString('utf8'))).toEqual(stored);
  });

  it('reads a reply sent by a Python 5.2 worker (no date_done)', async () => {
    const producer = await open();
    const ch = await raw();
    const taskId = randomUUID();
    const body = { task_id: taskId, status: 'SUCCESS', result: 5, traceback: null, children: [] };
    ch.sendToQueue(producer.replyTo, Buffer.from(JSON.stringify(body)), {
      correlationId: taskId,
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      deliveryMode: 1,
    });
    await expect(producer.waitForReady(taskId, { timeout: 5_000 })).resolves.toEqual({
      ...body,
      date_done: null,
    });
  });

  it("shares an AmqpBroker's connection without closing it", async () => {
    const broker = new AmqpBroker(vhost.url);
    opened.push(broker);
    await broker.connect();
    const backend = new RpcResultBackend(vhost.url, { connection: broker.connection });
    await backend.connect();
    const worker = await open();
    const taskId = randomUUID();
    await worker.store(meta(taskId, 'SUCCESS', 'shared'), {
      replyTo: backend.replyTo,
      correlationId: taskId,
    });
    await expect(backend.waitForReady(taskId, { timeout: 5_000 })).resolves.toMatchObject({
      result: 'shared',
    });
    await backend.close();
    expect(broker.connection.isConnected).toBe(true);
  });
});
