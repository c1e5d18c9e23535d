import type { OnModuleDestroy } from '@nestjs/common';
import {
  type Attributes,
  type Context,
  context,
  type Link,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
  type Tracer,
} from '@opentelemetry/api';
import type { TaskRequest } from '../../protocol/task-request.js';
import {
  type OutgoingTask,
  TaskInstrumentation,
  type TraceCarrier,
} from '../../tasks/task-instrumentation.js';
import type { TaskEvent, TaskEventType, TaskEvents } from '../../tasks/task-events.js';
import {
  headersGetter,
  headersSetter,
  PREVIOUS_ATTEMPT_HEADER,
} from './message-headers.carrier.js';
import { ATTR, messagingSystemOf } from './messaging-attributes.js';
import type { TracingOptions } from './tracing.options.js';

/** The instrumentation scope of the spans. */
const SCOPE = 'celeriac';

/** Outcome events of an attempt, and the `celery.state` each one means. */
const OUTCOMES = new Map<TaskEventType, string>([
  ['task-succeeded', 'SUCCESS'],
  ['task-failed', 'FAILURE'],
  ['task-retried', 'RETRY'],
  ['task-revoked', 'REVOKED'],
  ['task-rejected', 'REJECTED'],
]);

/**
 * OpenTelemetry tracing of task publishes and attempts, on `@opentelemetry/api` only (the app
 * registers an SDK, or nothing is recorded). A `send {queue}` PRODUCER span per publish, whose
 * context goes into the message's `traceparent` / `tracestate` headers; a `process {queue}`
 * CONSUMER span per attempt, a child of (or linked to) that context; retries link the previous
 * attempt. Attributes follow the messaging semantic conventions.
 * @publicApi
 */
export class OpenTelemetryTaskInstrumentation
  extends TaskInstrumentation
  implements OnModuleDestroy
{
  private readonly tracer: Tracer;
  private readonly system: string;
  private readonly linkOnly: boolean;
  /** Attempt spans in flight, with their task id (outcome events find theirs as the active span). */
  private readonly attempts = new WeakMap<Span, string>();
  private readonly untap?: () => void;

  /**
   * @param transport the broker's transport (`redis`, `amqp`, `memory`), for `messaging.system`
   * @param events the module's task events, whose outcomes complete the attempt spans
   */
  constructor(options: TracingOptions, transport: string, events?: TaskEvents) {
    super();
    this.tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(SCOPE);
    this.system = messagingSystemOf(transport);
    this.linkOnly = options.consumerParent === 'link';
    // Synchronous: the outcome is emitted inside the attempt, whose span is the active one.
    this.untap = events?.tap(OUTCOMES.keys(), (event) => this.settle(event));
  }

  onModuleDestroy(): void {
    this.untap?.();
  }

  override captureContext(): TraceCarrier | undefined {
    const carrier: Record<string, string> = {};
    propagation.inject(context.active(), carrier);
    return Object.keys(carrier).length > 0 ? carrier : undefined;
  }

  override wrapPublish(task: OutgoingTask, publish: () => Promise<void>): Promise<void> {
    const active = context.active();
    const headers = task.message.headers;
    const parent = this.publishParent(task, active);
    const queue = task.options.queue;
    const attributes: Attributes = {
      [ATTR.system]: this.system,
      [ATTR.operationName]: 'send',
      [ATTR.operationType]: 'send',
      [ATTR.destination]: queue,
      [ATTR.messageId]: headers.id,
      [ATTR.conversationId]: headers.root_id,
      [ATTR.taskName]: headers.task,
      [ATTR.retries]: headers.retries ?? 0,
      [ATTR.dispatch]: task.via,
    };
    if (this.system === 'rabbitmq') attributes[ATTR.routingKey] = queue;
    if (headers.eta) attributes[ATTR.eta] = headers.eta;
    if (task.decidedAt !== undefined) attributes[ATTR.dispatchDelay] = Date.now() - task.decidedAt;
    const span = this.tracer.startSpan(
      `send ${queue}`,
      { kind: SpanKind.PRODUCER, attributes },
      parent,
    );
    const sending = trace.setSpan(parent, span);
    // Fields copied from the message this one was made from (a retry) must not survive.
    for (const field of propagation.fields()) delete headers[field];
    delete headers[PREVIOUS_ATTEMPT_HEADER];
    propagation.inject(sending, headers, headersSetter);
    if (task.via === 'retry') this.markPreviousAttempt(headers, trace.getSpan(active));
    return context.with(sending, publish).then(
      () => span.end(),
      (error: unknown) => {
        fail(span, error);
        span.end();
        throw error;
      },
    );
  }

  override wrapExecution<T>(request: TaskRequest, run: () => Promise<T>): Promise<T> {
    const creation = propagation.extract(ROOT_CONTEXT, request.headers, headersGetter);
    // Most attempts have no link: no array then (the SDK copies what it is given).
    let links: Link[] | undefined;
    const created = trace.getSpanContext(creation);
    if (created && this.linkOnly)
      (links ??= []).push({ context: created, attributes: { [ATTR.linkType]: 'creation' } });
    const previous = previousAttempt(request.headers);
    if (previous) {
      const link = { context: previous, attributes: { [ATTR.linkType]: 'previous_attempt' } };
      (links ??= []).push(link);
    }
    const queue = request.queue ?? '';
    const attributes: Attributes = {
      [ATTR.system]: this.system,
      [ATTR.operationName]: 'process',
      [ATTR.operationType]: 'process',
      [ATTR.destination]: queue,
      [ATTR.messageId]: request.id,
      [ATTR.conversationId]: request.rootId,
      [ATTR.taskName]: request.name,
      [ATTR.retries]: request.retries,
    };
    if (this.system === 'rabbitmq') attributes[ATTR.routingKey] = queue;
    const parent = this.linkOnly ? ROOT_CONTEXT : creation;
    const span = this.tracer.startSpan(
      `process ${queue}`,
      { kind: SpanKind.CONSUMER, attributes, links },
      parent,
    );
    // An attempt the sampler dropped records nothing: its outcome is not settled on it, and a
    // retry it publishes carries no link to it (the retry's attempt, in the same trace, is
    // dropped as well by a parent- or trace-id-based sampler).
    if (span.isRecording()) this.attempts.set(span, request.id);
    return context.with(trace.setSpan(parent, span), run).then(
      (value) => {
        span.end();
        return value;
      },
      (error: unknown) => {
        fail(span, error);
        span.end();
        throw error;
      },
    );
  }

  /**
   * The captured context of a deferred publish (onCommit, outbox row); a redrive with no active
   * span continues the dead letter's own trace; otherwise the active context.
   */
  private publishParent(task: OutgoingTask, active: Context): Context {
    if (task.context) return propagation.extract(active, task.context);
    if (task.via === 'redrive' && !trace.getSpan(active)) {
      return propagation.extract(active, task.message.headers, headersGetter);
    }
    return active;
  }

  /** A retry published by an attempt carries that attempt's context, for the next one's link. */
  private markPreviousAttempt(headers: Record<string, unknown>, attempt: Span | undefined): void {
    if (!attempt || !this.attempts.has(attempt)) return;
    const carrier: Record<string, string> = {};
    propagation.inject(trace.setSpan(ROOT_CONTEXT, attempt), carrier);
    if (Object.keys(carrier).length > 0) headers[PREVIOUS_ATTEMPT_HEADER] = JSON.stringify(carrier);
  }

  /** An outcome event of an attempt, emitted inside it: set its state (and error). */
  private settle(event: TaskEvent): void {
    const span = trace.getActiveSpan();
    const state = OUTCOMES.get(event.type);
    if (!span || !state || this.attempts.get(span) !== event.taskId) return;
    span.setAttribute(ATTR.state, state);
    if (state === 'FAILURE') fail(span, event.cause ?? event.error);
    else if (state === 'RETRY' && event.cause instanceof Error) span.recordException(event.cause);
  }
}

/** Record `error` on `span` and mark it failed. */
function fail(span: Span, error: unknown): void {
  if (error instanceof Error) {
    span.recordException(error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: `${error.name}: ${error.message}` });
    return;
  }
  const described = error as { name?: string; message?: string } | undefined;
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: described?.message
      ? `${described.name ?? 'Error'}: ${described.message}`
      : String(error),
  });
}

/** The previous attempt's span context carried by a retry message, if any. */
function previousAttempt(headers: Record<string, unknown>) {
  const raw = headersGetter.get(headers, PREVIOUS_ATTEMPT_HEADER);
  if (typeof raw !== 'string') return undefined;
  try {
    const carrier = JSON.parse(raw) as Record<string, string>;
    return trace.getSpanContext(propagation.extract(ROOT_CONTEXT, carrier));
  } catch {
    return undefined;
  }
}
