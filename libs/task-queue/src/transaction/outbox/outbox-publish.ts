import type { Broker } from '../../contracts/broker.interface.js';
import type { TaskMessage } from '../../contracts/task-message.interface.js';
import type { TaskOutbox } from './task-outbox.entity.js';
import {
  NO_INSTRUMENTATION,
  type TaskInstrumentation,
  type TraceCarrier,
} from '../../tasks/task-instrumentation.js';

/**
 * Publish the message stored in an outbox row with the options it was written with, under the
 * trace context stored with it.
 */
export function publishOutboxRow(
  broker: Broker,
  row: TaskOutbox,
  instrumentation: TaskInstrumentation = NO_INSTRUMENTATION,
): Promise<void> {
  const message = JSON.parse(row.message) as TaskMessage;
  const options = {
    queue: row.queue,
    ...(row.priority !== null && row.priority !== undefined ? { priority: row.priority } : {}),
    ...(row.notBefore ? { notBefore: row.notBefore } : {}),
  };
  return instrumentation.wrapPublish(
    {
      message,
      options,
      via: 'outbox',
      context: row.traceContext ? (JSON.parse(row.traceContext) as TraceCarrier) : undefined,
      decidedAt: row.createdAt.getTime(),
    },
    () => broker.publish(message, options),
  );
}
