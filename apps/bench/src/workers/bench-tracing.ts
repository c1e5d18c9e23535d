import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  ExportResultCode,
  W3CTraceContextPropagator,
  type ExportResult,
} from '@opentelemetry/core';
import {
  AlwaysOffSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  type ReadableSpan,
  type Sampler,
  type SpanExporter,
  TraceIdRatioBasedSampler,
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
 *
 * `BENCH_TRACING_SDK` takes the cost apart (docs/tracing.md): `none` installs nothing (the
 * instrumentation runs on the API's no-ops: Celeriac's own work), `context` only the context
 * manager and propagator, `unsampled` the whole SDK with a sampler that records nothing,
 * `recorded` every span sampled but no span processor (nothing batched nor exported);
 * `sampled` (default) is the above. `ratio` is what a production app would sample: a
 * parent-based sampler with a trace-id ratio (`BENCH_TRACING_RATIO`, default 0.1) for root
 * spans (the bench's messages carry no parent), the rest as `sampled`.
 */
export function installBenchTracing(): BasicTracerProvider | undefined {
  const mode = process.env.BENCH_TRACING_SDK ?? 'sampled';
  if (!['none', 'context', 'unsampled', 'recorded', 'sampled', 'ratio'].includes(mode)) {
    throw new Error(
      `BENCH_TRACING_SDK: none, context, unsampled, recorded, sampled or ratio, got ${mode}`,
    );
  }
  if (mode === 'none') return undefined;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  if (mode === 'context') return undefined;
  const provider = new BasicTracerProvider({
    ...(mode === 'unsampled' ? { sampler: new AlwaysOffSampler() } : {}),
    ...(mode === 'ratio' ? { sampler: ratioSampler() } : {}),
    spanProcessors:
      mode === 'recorded'
        ? []
        : [new BatchSpanProcessor(new CountingExporter(), { maxQueueSize: 65_536 })],
  });
  trace.setGlobalTracerProvider(provider);
  return provider;
}

/** Parent-based, roots sampled at `BENCH_TRACING_RATIO` (default 0.1). */
function ratioSampler(): Sampler {
  const ratio = Number(process.env.BENCH_TRACING_RATIO ?? '0.1');
  if (!(ratio >= 0 && ratio <= 1)) throw new Error(`BENCH_TRACING_RATIO: 0 to 1, got ${ratio}`);
  return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
}
