import { ConfigurationError } from '../errors/configuration.error.js';
import type { TaskQueueOptions } from './task-queue-options.interface.js';
import type { TracingOptions } from '../observability/tracing/tracing.options.js';
import type { TaskInstrumentation } from '../tasks/task-instrumentation.js';
import { INVALID_OPTION } from '../task-queue.messages.js';
import { rejectUnknownOptions } from './known-options.js';

/** `tracing` and `instrumentation`, checked: tracing options or false (off). */
export function validateInstrumentation(options: TaskQueueOptions): {
  tracing: TracingOptions | false;
  instrumentation: TaskInstrumentation | undefined;
} {
  const { tracing, instrumentation } = options;
  if (instrumentation !== undefined && !isInstrumentation(instrumentation)) {
    throw new ConfigurationError(
      INVALID_OPTION(
        'instrumentation',
        'a TaskInstrumentation (wrapPublish, wrapExecution and captureContext methods)',
        instrumentation,
      ),
    );
  }
  if (tracing === undefined || tracing === false) return { tracing: false, instrumentation };
  if (instrumentation) {
    throw new ConfigurationError(
      INVALID_OPTION(
        'tracing',
        'not both tracing and instrumentation (extend OpenTelemetryTaskInstrumentation instead)',
        tracing,
      ),
    );
  }
  if (tracing === true) return { tracing: {}, instrumentation };
  if (typeof tracing !== 'object' || tracing === null) {
    throw new ConfigurationError(
      INVALID_OPTION('tracing', 'a boolean or tracing options', tracing),
    );
  }
  rejectUnknownOptions('TaskQueueModule', 'tracing', tracing, ['consumerParent', 'tracerProvider']);
  const parent = tracing.consumerParent;
  if (parent !== undefined && parent !== 'creation' && parent !== 'link') {
    throw new ConfigurationError(
      INVALID_OPTION('tracing.consumerParent', "'creation' or 'link'", parent),
    );
  }
  return { tracing, instrumentation };
}

function isInstrumentation(value: unknown): value is TaskInstrumentation {
  const candidate = value as Partial<Record<keyof TaskInstrumentation, unknown>> | null;
  return (
    typeof candidate?.wrapPublish === 'function' &&
    typeof candidate.wrapExecution === 'function' &&
    typeof candidate.captureContext === 'function'
  );
}
