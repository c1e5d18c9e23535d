import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  ExportResultCode,
  W3CTraceContextPropagator,
  type ExportResult,
} from '@opentelemetry/core';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';

/** Takes every batch and drops it: the bench measures the worker, not an exporter's network. */
class CountingExporter implements SpanExporter {
  exported = 0;

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.exported += spans.length;
    done({ code: ExportResultCode.SUCCESS });
  }

  async shutdown(): Promise<void> {}
}

/**
 * What an app's SDK set-up does for the `celeriac-add-T` system: every span sampled (the
 * default sampler, no parent), a batch processor, the AsyncLocalStorage context manager and
 * the W3C propagator. Returns the provider, to flush and shut down.
 */
export function installBenchTracing(): BasicTracerProvider {
  const provider = new BasicTracerProvider({
    spanProcessors: [new BatchSpanProcessor(new CountingExporter(), { maxQueueSize: 65_536 })],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  return provider;
}
