import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { context, SpanKind, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { TaskClient, TaskQueueModule } from 'celeriac';
import { atomic } from 'celeriac/typeorm';
import { createTestVhost, type AmqpTestVhost } from '../support/amqp-vhost.js';
import {
  PYTHON,
  PYTHON_FIXTURES,
  runProcess,
  startPythonWorker,
  stopAll,
  uniqueName,
  type ManagedProcess,
} from '../support/interop-processes.js';
import { installTestTracing, type TestTracing } from '../support/tracing.js';
import { TracedTasks } from '../support/tracing-tasks.js';
import { openOutboxDataSource } from '../support/outbox-postgres.js';
import { dropSchema, uniqueSchema } from '../support/typeorm-postgres.js';
import { REDIS_URL } from '../support/redis-test-server.js';

/**
 * Tracing end to end (issue 20), with the in-memory span exporter: a request span in a producer
 * process → `applyAsyncOnCommit()` in a PostgreSQL transaction (outbox mode) → the producer is
 * SIGKILLed before it publishes → the outbox relay of a worker app publishes the row → attempt
 * 1 fails → retry → attempt 2 succeeds and sends a child task: one trace, semconv names and
 * attributes, on Redis and RabbitMQ. Then a Python Celery 5.2.6 worker receives the trace
 * context where Python's CeleryInstrumentor reads it.
 */
const schema = uniqueSchema('tracing');
let dataSource: DataSource;
let tracing: TestTracing;
let vhost: AmqpTestVhost;
const redisKeys: string[] = [];

/** Run the producer fixture; resolves the request span's ids once it has SIGKILLed itself. */
function producerCrash(
  broker: string,
  queue: string,
  taskId: string,
): Promise<{ traceId: string; spanId: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        'test/fixtures/transaction-run-ts.mjs',
        'test/fixtures/tracing-producer.ts',
        schema,
        broker,
        queue,
        taskId,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      signal === 'SIGKILL'
        ? resolve(JSON.parse(stdout.trim().split('\n')[0]!) as { traceId: string; spanId: string })
        : reject(new Error(`producer exited ${code ?? signal}: ${stderr}`)),
    );
  });
}

beforeAll(async () => {
  tracing = installTestTracing();
  vhost = await createTestVhost('celeriac-tracing');
  dataSource = await openOutboxDataSource(schema);
  await dataSource.query('CREATE TABLE business (id text PRIMARY KEY)');
});

afterAll(async () => {
  await stopAll();
  await dataSource?.destroy();
  await dropSchema(schema);
  await vhost?.dispose();
  if (redisKeys.length) {
    const redis = new Redis(REDIS_URL);
    await redis.del(...redisKeys, ...redisKeys.map((key) => `_kombu.binding.${key}`));
    redis.disconnect();
  }
  await tracing?.dispose();
});

const one = (spans: ReadableSpan[], what: string, match: (span: ReadableSpan) => boolean) => {
  const found = spans.filter(match);
  expect(found, what).toHaveLength(1);
  return found[0]!;
};
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
const idOf = (span: ReadableSpan) => span.spanContext().spanId;

describe.each([
  { system: 'redis', broker: () => REDIS_URL },
  { system: 'rabbitmq', broker: () => vhost.url },
])('one trace from a request to a retried task and its child on $system', ({ system, broker }) => {
  it('HTTP span → onCommit → producer killed → outbox relay → retry → child', async () => {
    const queue = uniqueName('traced');
    const taskId = randomUUID();
    if (system === 'redis') redisKeys.push(queue, `${queue}.dlq`);
    const request = await producerCrash(broker(), queue, taskId);

    // The row holds the request's context, captured at applyAsyncOnCommit() time.
    const [row] = await dataSource.query('SELECT trace_context FROM task_outbox WHERE id = $1', [
      taskId,
    ]);
    expect(JSON.parse(row.trace_context).traceparent).toBe(
      `00-${request.traceId}-${request.spanId}-01`,
    );

    @Module({
      imports: [
        TaskQueueModule.forRoot({
          broker: broker(),
          resultBackend: 'memory://',
          worker: { queues: [queue], concurrency: 2, banner: false },
          events: { enabled: false },
          tracing: true,
          typeorm: { dataSource, dispatch: 'outbox', relay: { pollIntervalMs: 100 } },
        }),
      ],
      providers: [TracedTasks],
    })
    class WorkerModule {}
    const moduleRef = await Test.createTestingModule({ imports: [WorkerModule] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    try {
      const tasks = app.get(TracedTasks);
      await expect.poll(() => tasks.children.length, { timeout: 30_000 }).toBe(1);
      // The child's process span ends after its handler returned.
      await expect.poll(() => tracing.spansOf(request.traceId).length, { timeout: 10_000 }).toBe(6);
    } finally {
      await app.close();
    }

    const spans = tracing.spansOf(request.traceId);
    const send = `send ${queue}`;
    const processName = `process ${queue}`;
    for (const span of spans) {
      expect(span.attributes['messaging.system']).toBe(system);
      expect(span.attributes['messaging.destination.name']).toBe(queue);
      expect(span.attributes['messaging.message.conversation_id']).toBe(taskId);
      expect(span.kind).toBe(span.name === send ? SpanKind.PRODUCER : SpanKind.CONSUMER);
      expect([send, processName]).toContain(span.name);
    }
    const relayed = one(
      spans,
      'outbox relay send',
      (s) => s.attributes['celeriac.dispatch'] === 'outbox',
    );
    expect(parentOf(relayed)).toBe(request.spanId);
    expect(relayed.attributes['messaging.message.id']).toBe(taskId);
    expect(relayed.attributes['messaging.operation.type']).toBe('send');

    const attempt1 = one(
      spans,
      'attempt 1',
      (s) =>
        s.name === processName &&
        s.attributes['celery.retries'] === 0 &&
        s.attributes['messaging.message.id'] === taskId,
    );
    expect(parentOf(attempt1)).toBe(idOf(relayed));
    expect(attempt1.attributes['celery.state']).toBe('RETRY');
    expect(attempt1.attributes['messaging.operation.type']).toBe('process');
    expect(attempt1.events.map((e) => e.name)).toEqual(['exception']);

    const retry = one(spans, 'retry send', (s) => s.attributes['celeriac.dispatch'] === 'retry');
    expect(parentOf(retry)).toBe(idOf(attempt1));
    expect(retry.attributes['celery.retries']).toBe(1);

    const attempt2 = one(
      spans,
      'attempt 2',
      (s) => s.name === processName && s.attributes['celery.retries'] === 1,
    );
    expect(parentOf(attempt2)).toBe(idOf(retry));
    expect(attempt2.attributes['celery.state']).toBe('SUCCESS');
    expect(attempt2.links.map((l) => l.context.spanId)).toEqual([idOf(attempt1)]);

    const childSend = one(spans, 'child send', (s) => s.attributes['celeriac.dispatch'] === 'send');
    expect(parentOf(childSend)).toBe(idOf(attempt2));
    expect(childSend.attributes['celery.task_name']).toBe('traced.child');
    const child = one(
      spans,
      'child attempt',
      (s) => s.name === processName && s.attributes['celery.task_name'] === 'traced.child',
    );
    expect(parentOf(child)).toBe(idOf(childSend));
    expect(child.attributes['celery.state']).toBe('SUCCESS');
    if (system === 'rabbitmq') {
      expect(child.attributes['messaging.rabbitmq.destination.routing_key']).toBe(queue);
    }
  });
});

describe('after-commit mode', () => {
  it('publishes under the context of the applyAsyncOnCommit() call, not of the COMMIT', async () => {
    const queue = uniqueName('traced-ac');
    redisKeys.push(queue);
    @Module({
      imports: [
        TaskQueueModule.forRoot({
          broker: REDIS_URL,
          resultBackend: 'memory://',
          worker: { queues: [queue], banner: false },
          events: { enabled: false },
          tracing: true,
          typeorm: { dataSource, dispatch: 'after-commit' },
        }),
      ],
      providers: [TracedTasks],
    })
    class AfterCommitModule {}
    const moduleRef = await Test.createTestingModule({ imports: [AfterCommitModule] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    const tracer = trace.getTracer('test');
    const request = tracer.startSpan('POST /orders', { kind: SpanKind.SERVER });
    const job = tracer.startSpan('unit of work');
    try {
      const flaky = app.get(TaskClient).get(TracedTasks, 'flaky');
      // The transaction (and its COMMIT) runs in another span than the call that defers the task.
      await context.with(trace.setSpan(context.active(), job), () =>
        atomic(dataSource, (manager) =>
          context.with(trace.setSpan(context.active(), request), async () => {
            await manager.query('INSERT INTO business (id) VALUES ($1)', [randomUUID()]);
            await flaky.applyAsyncOnCommit([queue], { queue });
          }),
        ),
      );
      request.end();
      job.end();
      await expect.poll(() => app.get(TracedTasks).children.length, { timeout: 30_000 }).toBe(1);
    } finally {
      await app.close();
    }
    const { traceId, spanId } = request.spanContext();
    const sent = one(
      tracing.spansOf(traceId),
      'after-commit send',
      (s) => s.attributes['celeriac.dispatch'] === 'after-commit',
    );
    expect(parentOf(sent)).toBe(spanId);
    expect(sent.attributes['celeriac.dispatch.delay_ms']).toEqual(expect.any(Number));
    expect(tracing.spansOf(job.spanContext().traceId).map((s) => s.name)).toEqual(['unit of work']);
  });
});

describe('a Python producer', () => {
  it("a Python producer's traceparent is the parent of a chain run by a Node worker", async () => {
    const nodeQueue = uniqueName('traced-chain');
    redisKeys.push(nodeQueue);
    @Module({
      imports: [
        TaskQueueModule.forRoot({
          broker: REDIS_URL,
          resultBackend: REDIS_URL,
          worker: { queues: [nodeQueue], banner: false },
          events: { enabled: false },
          tracing: true,
        }),
      ],
      providers: [TracedTasks],
    })
    class ChainWorkerModule {}
    const moduleRef = await Test.createTestingModule({ imports: [ChainWorkerModule] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    const traceId = randomUUID().replace(/-/g, '');
    const pythonSpan = randomUUID().replace(/-/g, '').slice(0, 16);
    let ids: string[];
    try {
      const run = await runProcess(
        PYTHON,
        ['traced_chain.py', nodeQueue, `00-${traceId}-${pythonSpan}-01`],
        {
          cwd: PYTHON_FIXTURES,
          env: { ...process.env, INTEROP_BROKER: REDIS_URL, INTEROP_BACKEND: REDIS_URL },
        },
      );
      expect(run.code, run.stderr).toBe(0);
      const out = JSON.parse(run.stdout.trim()) as { result: number; ids: string[] };
      expect(out.result).toBe(8);
      ids = out.ids;
      await expect.poll(() => tracing.spansOf(traceId).length, { timeout: 10_000 }).toBe(3);
    } finally {
      await app.close();
    }
    const spans = tracing.spansOf(traceId);
    const step1 = one(
      spans,
      'step 1',
      (s) => s.attributes['messaging.message.id'] === ids[0] && s.kind === SpanKind.CONSUMER,
    );
    expect(parentOf(step1)).toBe(pythonSpan);
    const canvas = one(spans, 'canvas send', (s) => s.attributes['celeriac.dispatch'] === 'canvas');
    expect(parentOf(canvas)).toBe(idOf(step1));
    expect(canvas.attributes['messaging.message.id']).toBe(ids[1]);
    const step2 = one(
      spans,
      'step 2',
      (s) => s.attributes['messaging.message.id'] === ids[1] && s.kind === SpanKind.CONSUMER,
    );
    expect(parentOf(step2)).toBe(idOf(canvas));
    expect(step2.name).toBe(`process ${nodeQueue}`);
  });
});

describe.each([
  { system: 'redis', broker: () => REDIS_URL },
  { system: 'rabbitmq', broker: () => vhost.url },
])('a Python Celery 5.2.6 worker on $system', ({ system, broker }) => {
  let worker: ManagedProcess;
  const queue = uniqueName('traced-py');

  beforeAll(async () => {
    if (system === 'redis') redisKeys.push(queue);
    worker = await startPythonWorker({ broker: broker(), backend: REDIS_URL, queue });
  });
  afterAll(() => worker?.stop());

  it("receives the producer span's traceparent as a header of self.request", async () => {
    @Module({
      imports: [
        TaskQueueModule.forRoot({
          broker: broker(),
          resultBackend: REDIS_URL,
          worker: { enabled: false },
          events: { enabled: false },
          tracing: true,
        }),
      ],
    })
    class ProducerModule {}
    const moduleRef = await Test.createTestingModule({ imports: [ProducerModule] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    try {
      const root = trace.getTracer('test').startSpan('GET /report', { kind: SpanKind.SERVER });
      const result = await context.with(trace.setSpan(context.active(), root), () =>
        app
          .get(TaskClient)
          .send<{ traceparent: string | null }>('interop_py.traceparent', [], {}, { queue }),
      );
      root.end();
      redisKeys.push(`celery-task-meta-${result.id}`);
      const seen = await result.get({ timeout: 30_000 });
      const sent = one(
        tracing.spansOf(root.spanContext().traceId),
        'send',
        (s) => s.name === `send ${queue}`,
      );
      expect(parentOf(sent)).toBe(root.spanContext().spanId);
      expect(seen.traceparent).toBe(`00-${root.spanContext().traceId}-${idOf(sent)}-01`);
    } finally {
      await app.close();
    }
  });
});
