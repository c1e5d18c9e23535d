import type { Broker, PublishOptions } from '../../contracts/broker.interface.js';
import type { TaskMessage } from '../../contracts/task-message.interface.js';
import { InvalidMessageError } from '../../errors/invalid-message.error.js';
import type { TaskOutbox } from './task-outbox.entity.js';
import {
  NO_INSTRUMENTATION,
  type TaskInstrumentation,
  type TraceCarrier,
} from '../../tasks/task-instrumentation.js';

/** What a row publishes: its message, the options it was written with, its trace context. */
export interface DecodedOutboxRow {
  readonly message: TaskMessage;
  readonly options: PublishOptions;
  readonly context: TraceCarrier | undefined;
}

/**
 * Read the message stored in an outbox row. Throws `InvalidMessageError` saying what is wrong
 * when no publish could send it (not JSON, not a task message, the message of another task id);
 * a trace context that is not a JSON object of strings is left out (the task still goes).
 */
export function decodeOutboxRow(row: TaskOutbox): DecodedOutboxRow {
  let parsed: unknown;
  try {
    parsed = JSON.parse(row.message);
  } catch (error) {
    throw new InvalidMessageError(`its message is not JSON (${String(error)})`);
  }
  const message = parsed as Partial<TaskMessage> | null;
  const headers = message?.headers as Partial<TaskMessage['headers']> | undefined;
  if (
    typeof headers !== 'object' ||
    headers === null ||
    typeof headers.task !== 'string' ||
    typeof message?.properties !== 'object' ||
    message.properties === null ||
    typeof message.body !== 'string' ||
    typeof message.contentType !== 'string' ||
    typeof message.contentEncoding !== 'string'
  ) {
    throw new InvalidMessageError(
      'its message lacks the headers (task), properties, body, contentType or contentEncoding of a task message',
    );
  }
  if (headers.id !== row.id) {
    throw new InvalidMessageError(
      `its message is that of task id ${JSON.stringify(headers.id)}, not of the row's id`,
    );
  }
  const options: PublishOptions = {
    queue: row.queue,
    ...(row.priority !== null && row.priority !== undefined ? { priority: row.priority } : {}),
    ...(row.notBefore ? { notBefore: row.notBefore } : {}),
  };
  return { message: message as TaskMessage, options, context: traceContextOf(row) };
}

function traceContextOf(row: TaskOutbox): TraceCarrier | undefined {
  if (!row.traceContext) return undefined;
  try {
    const context: unknown = JSON.parse(row.traceContext);
    if (typeof context !== 'object' || context === null) return undefined;
    const fields = Object.entries(context).filter(([, value]) => typeof value === 'string');
    return Object.fromEntries(fields) as TraceCarrier;
  } catch {
    return undefined;
  }
}

/**
 * Publish the message of an outbox row (decoded by `decodeOutboxRow`) with the options it was
 * written with, under the trace context stored with it.
 */
export function publishOutboxRow(
  broker: Broker,
  row: TaskOutbox,
  decoded: DecodedOutboxRow,
  instrumentation: TaskInstrumentation = NO_INSTRUMENTATION,
): Promise<void> {
  const { message, options, context } = decoded;
  return instrumentation.wrapPublish(
    { message, options, via: 'outbox', context, decidedAt: row.createdAt.getTime() },
    () => broker.publish(message, options),
  );
}
