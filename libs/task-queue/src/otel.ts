/**
 * `celeriac/otel`: the OpenTelemetry instrumentation of task publishes and attempts, for apps
 * that build or extend it themselves. `TaskQueueModule.forRoot({ tracing: true })` is enough
 * for most (it loads this lazily). See docs/tracing.md.
 */
export { OpenTelemetryTaskInstrumentation } from './observability/tracing/otel-task-instrumentation.js';
export type { TracingOptions } from './observability/tracing/tracing.options.js';
export {
  headersGetter,
  headersSetter,
  PREVIOUS_ATTEMPT_HEADER,
} from './observability/tracing/message-headers.carrier.js';
export { ATTR as MESSAGING_ATTRIBUTES } from './observability/tracing/messaging-attributes.js';
