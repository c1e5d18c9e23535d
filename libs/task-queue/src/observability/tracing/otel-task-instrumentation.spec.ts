import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  AlwaysOffSampler,
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { createTaskMessage } from '../../protocol/task-message.factory.js';
import { parseTaskMessage } from '../../protocol/task-message.parser.js';
import type { TaskMessage } from '../../contracts/task-message.interface.js';
import { TaskInstrumentation } from '../../tasks/task-instrumentation.js';
import { TaskEvents } from '../../tasks/task-events.js';
import { PREVIOUS_ATTEMPT_HEADER } from './message-headers.carrier.js';
import { OpenTelemetryTaskInstrumentation } from './otel-task-instrumentation.js';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const contextManager = new AsyncLocalStorageContextManager();

beforeAll(() => {
  contextManager.enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
});
afterAll(() => {
  context.disable();
  propagation.disable();
});
beforeEach(() => exporter.reset());

const message = (headers: Record<string, unknown> = {}): TaskMessage =>
  createTaskMessage({ name: 'orders.ship', args: [1], headers });

/** Publish `msg` on `q` through `otel`, returning the span it made. */
async function publish(
  otel: TaskInstrumentation,
  msg: TaskMessage,
  via: 'send' | 'retry' = 'send',
): Promise<ReadableSpan> {
  await otel.wrapPublish({ message: msg, options: { queue: 'q' }, via }, async () => {});
  return exporter.getFinishedSpans().at(-1)!;
}

const ids = (traceparent: unknown): [string, string] => {
  const [, traceId, spanId] = String(traceparent).split('-');
  return [traceId!, spanId!];
};

describe('OpenTelemetryTaskInstrumentation', () => {
  const otel = new OpenTelemetryTaskInstrumentation({ tracerProvider: provider }, 'redis');

  it('a publish is a PRODUCER span "send {queue}" whose context is in the top-level headers', async () => {
    const msg = message();
    const span = await publish(otel, msg);
    expect(span.name).toBe('send q');
    expect(span.kind).toBe(SpanKind.PRODUCER);
    expect(span.attributes).toMatchObject({
      'messaging.system': 'redis',
      'messaging.operation.type': 'send',
      'messaging.operation.name': 'send',
      'messaging.destination.name': 'q',
      'messaging.message.id': msg.headers.id,
      'messaging.message.conversation_id': msg.headers.root_id,
      'celery.task_name': 'orders.ship',
      'celeriac.dispatch': 'send',
    });
    // Where Python's CeleryInstrumentor puts it: a protocol v2 header next to `id` and `task`.
    expect(ids(msg.headers.traceparent)).toEqual([
      span.spanContext().traceId,
      span.spanContext().spanId,
    ]);
  });

  it('an attempt is a CONSUMER span "process {queue}", child of the publish', async () => {
    const msg = message();
    const sent = await publish(otel, msg);
    const request = parseTaskMessage(msg, 'q');
    const value = await otel.wrapExecution(request, async () => trace.getActiveSpan());
    const span = exporter.getFinishedSpans().at(-1)!;
    expect(value?.spanContext().spanId).toBe(span.spanContext().spanId);
    expect(span.name).toBe('process q');
    expect(span.kind).toBe(SpanKind.CONSUMER);
    expect(span.spanContext().traceId).toBe(sent.spanContext().traceId);
    expect(span.parentSpanContext?.spanId).toBe(sent.spanContext().spanId);
    expect(span.attributes).toMatchObject({
      'messaging.operation.type': 'process',
      'messaging.destination.name': 'q',
      'messaging.message.id': msg.headers.id,
      'celery.retries': 0,
    });
  });

  it("honours a Python producer's traceparent header, as text or AMQP bytes", async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const spanId = '00f067aa0ba902b7';
    for (const value of [`00-${traceId}-${spanId}-01`, Buffer.from(`00-${traceId}-${spanId}-01`)]) {
      const request = parseTaskMessage(message({ traceparent: value }), 'q');
      await otel.wrapExecution(request, async () => {});
      const span = exporter.getFinishedSpans().at(-1)!;
      expect(span.spanContext().traceId).toBe(traceId);
      expect(span.parentSpanContext?.spanId).toBe(spanId);
    }
  });

  it("consumerParent 'link' starts a new trace linked to the publish", async () => {
    const linking = new OpenTelemetryTaskInstrumentation(
      { tracerProvider: provider, consumerParent: 'link' },
      'amqp',
    );
    const msg = message();
    const sent = await publish(linking, msg);
    expect(sent.attributes['messaging.system']).toBe('rabbitmq');
    expect(sent.attributes['messaging.rabbitmq.destination.routing_key']).toBe('q');
    await linking.wrapExecution(parseTaskMessage(msg, 'q'), async () => {});
    const span = exporter.getFinishedSpans().at(-1)!;
    expect(span.spanContext().traceId).not.toBe(sent.spanContext().traceId);
    expect(span.parentSpanContext).toBeUndefined();
    expect(span.links.map((l) => l.context.spanId)).toEqual([sent.spanContext().spanId]);
  });

  it('a retry published by an attempt carries it, and the next attempt links to it', async () => {
    const first = message();
    await publish(otel, first);
    const request = parseTaskMessage(first, 'q');
    let retry!: TaskMessage;
    await otel.wrapExecution(request, async () => {
      retry = { ...first, headers: { ...first.headers, retries: 1, parent_id: first.headers.id } };
      await publish(otel, retry, 'retry');
    });
    const [retrySend, attempt1] = exporter.getFinishedSpans().slice(-2);
    expect(retrySend!.parentSpanContext?.spanId).toBe(attempt1!.spanContext().spanId);
    expect(retry.headers[PREVIOUS_ATTEMPT_HEADER]).toEqual(expect.any(String));
    // The retry's own traceparent replaced the copied one.
    expect(ids(retry.headers.traceparent)[1]).toBe(retrySend!.spanContext().spanId);

    await otel.wrapExecution(parseTaskMessage(retry, 'q'), async () => {});
    const attempt2 = exporter.getFinishedSpans().at(-1)!;
    expect(attempt2.spanContext().traceId).toBe(attempt1!.spanContext().traceId);
    expect(attempt2.parentSpanContext?.spanId).toBe(retrySend!.spanContext().spanId);
    expect(attempt2.attributes['celery.retries']).toBe(1);
    expect(attempt2.links).toEqual([
      expect.objectContaining({
        context: expect.objectContaining({ spanId: attempt1!.spanContext().spanId }),
        attributes: { 'celeriac.link.type': 'previous_attempt' },
      }),
    ]);
  });

  it('an attempt the sampler drops is not tracked: its retry carries no link to it', async () => {
    const dropping = new OpenTelemetryTaskInstrumentation(
      { tracerProvider: new BasicTracerProvider({ sampler: new AlwaysOffSampler() }) },
      'redis',
    );
    const first = message();
    let retry!: TaskMessage;
    await dropping.wrapExecution(parseTaskMessage(first, 'q'), async () => {
      expect(trace.getActiveSpan()?.isRecording()).toBe(false);
      retry = { ...first, headers: { ...first.headers, retries: 1 } };
      await dropping.wrapPublish({ message: retry, options: { queue: 'q' }, via: 'retry' }, () =>
        Promise.resolve(),
      );
    });
    expect(retry.headers[PREVIOUS_ATTEMPT_HEADER]).toBeUndefined();
    // The trace still goes on (the dropped decision travels with it).
    expect(retry.headers.traceparent).toMatch(/-00$/);
  });

  it('a deferred publish runs under the captured context, not the active one', async () => {
    const tracer = provider.getTracer('test');
    const request = tracer.startSpan('POST /orders');
    const captured = context.with(trace.setSpan(ROOT_CONTEXT, request), () =>
      otel.captureContext(),
    );
    request.end();
    expect(Object.keys(captured!)).toEqual(['traceparent']);
    const other = tracer.startSpan('commit');
    const msg = message({ tracestate: 'stale=1' });
    await context.with(trace.setSpan(ROOT_CONTEXT, other), () =>
      otel.wrapPublish(
        {
          message: msg,
          options: { queue: 'q' },
          via: 'outbox',
          context: captured,
          decidedAt: Date.now() - 50,
        },
        async () => {},
      ),
    );
    other.end();
    const sent = exporter.getFinishedSpans().find((s) => s.name === 'send q')!;
    expect(sent.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
    expect(sent.attributes['celeriac.dispatch']).toBe('outbox');
    expect(sent.attributes['celeriac.dispatch.delay_ms']).toBeGreaterThanOrEqual(50);
    expect(msg.headers.tracestate).toBeUndefined();
    expect(otel.captureContext()).toBeUndefined();
  });

  it('records outcomes from task events: FAILURE is an error, RETRY is not', async () => {
    const events = new TaskEvents();
    const withEvents = new OpenTelemetryTaskInstrumentation(
      { tracerProvider: provider },
      'memory',
      events,
    );
    const event = (type: 'task-failed' | 'task-retried', id: string) =>
      events.emit({
        type,
        taskId: id,
        name: 'orders.ship',
        hostname: 'h',
        timestamp: Date.now(),
        cause: new Error('boom'),
      });
    const failed = parseTaskMessage(message(), 'q');
    await withEvents.wrapExecution(failed, async () => event('task-failed', failed.id));
    const failedSpan = exporter.getFinishedSpans().at(-1)!;
    expect(failedSpan.attributes['celery.state']).toBe('FAILURE');
    expect(failedSpan.status).toEqual({ code: SpanStatusCode.ERROR, message: 'Error: boom' });
    expect(failedSpan.events.map((e) => e.name)).toEqual(['exception']);

    const retried = parseTaskMessage(message(), 'q');
    // Another task's event inside this attempt does not touch it.
    await withEvents.wrapExecution(retried, async () => {
      event('task-failed', 'someone-else');
      event('task-retried', retried.id);
    });
    const retriedSpan = exporter.getFinishedSpans().at(-1)!;
    expect(retriedSpan.attributes['celery.state']).toBe('RETRY');
    expect(retriedSpan.status.code).toBe(SpanStatusCode.UNSET);
    withEvents.onModuleDestroy();
    expect(events.listens('task-failed')).toBe(false);
  });

  it('a failed publish is an error span and the error propagates', async () => {
    const failure = new Error('broker down');
    await expect(
      otel.wrapPublish({ message: message(), options: { queue: 'q' }, via: 'send' }, () =>
        Promise.reject(failure),
      ),
    ).rejects.toBe(failure);
    expect(exporter.getFinishedSpans().at(-1)!.status.code).toBe(SpanStatusCode.ERROR);
  });
});

describe('TaskInstrumentation (default)', () => {
  it('passes through without touching the message', async () => {
    const none = new TaskInstrumentation();
    const msg = message();
    const before = JSON.stringify(msg);
    await none.wrapPublish({ message: msg, options: { queue: 'q' }, via: 'send' }, async () => {});
    expect(JSON.stringify(msg)).toBe(before);
    await expect(none.wrapExecution(parseTaskMessage(msg), async () => 7)).resolves.toBe(7);
    expect(none.captureContext()).toBeUndefined();
  });
});
