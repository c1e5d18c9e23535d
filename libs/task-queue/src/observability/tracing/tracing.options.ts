import type { TracerProvider } from '@opentelemetry/api';

/**
 * Options of the OpenTelemetry tracing (`TaskQueueModule.forRoot({ tracing })`).
 * @publicApi
 */
export interface TracingOptions {
  /**
   * What an attempt's `process` span hangs from. `'creation'` (default): it is a child of the
   * `send` span that published the message, so a request, its tasks, their retries and canvas
   * steps form one trace (as Python's Celery instrumentation does). `'link'`: each attempt
   * starts a new trace linked to the `send` span (the messaging conventions' default; better
   * for wide fan-outs and periodic tasks, whose traces would otherwise grow without bound).
   */
  consumerParent?: 'creation' | 'link';
  /** Tracer provider; default the global one the app's SDK registered. */
  tracerProvider?: TracerProvider;
}
