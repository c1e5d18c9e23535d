import type { ResolvedTaskQueueOptions } from '../config/resolved-options.js';
import type { Broker } from '../contracts/broker.interface.js';
import type { TaskEvents } from './task-events.js';
import { NO_INSTRUMENTATION, type TaskInstrumentation } from './task-instrumentation.js';

/**
 * The module's TaskInstrumentation: the app's own, the OpenTelemetry one (`tracing`, loaded
 * only then), or the pass-through.
 */
export async function createInstrumentation(
  config: ResolvedTaskQueueOptions,
  broker: Broker,
  events: TaskEvents,
): Promise<TaskInstrumentation> {
  if (config.instrumentation) return config.instrumentation;
  if (!config.tracing) return NO_INSTRUMENTATION;
  const { OpenTelemetryTaskInstrumentation } =
    await import('../observability/tracing/otel-task-instrumentation.js');
  return new OpenTelemetryTaskInstrumentation(config.tracing, broker.transport, events);
}
