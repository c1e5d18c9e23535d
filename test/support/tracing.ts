import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

/** What an app's OpenTelemetry SDK set-up does, with spans kept in memory. */
export interface TestTracing {
  provider: BasicTracerProvider;
  exporter: InMemorySpanExporter;
  /** The finished spans of one trace. */
  spansOf(traceId: string): ReadableSpan[];
  dispose(): Promise<void>;
}

/**
 * Register a tracer provider (every span sampled, exported to memory), the AsyncLocalStorage
 * context manager and the W3C trace-context propagator globally, as `NodeSDK.start()` would.
 */
export function installTestTracing(): TestTracing {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  return {
    provider,
    exporter,
    spansOf: (traceId) =>
      exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId),
    dispose: async () => {
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}
