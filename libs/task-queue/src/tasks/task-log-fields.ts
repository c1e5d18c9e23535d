import type { TaskRequest } from '../protocol/task-request.js';

/**
 * Structured fields of a log line about one task. Nest's `ConsoleLogger` (v11+) prints a
 * trailing plain object as fields: `{ taskId, taskName, queue }` after the text, or as JSON
 * properties with `new ConsoleLogger({ json: true })` (top-level with `flattenParams: true`).
 * @publicApi
 */
export interface TaskLogFields {
  taskId: string;
  taskName: string;
  queue: string | null;
}

/** The log fields of `request` (its queue: the routing key it was delivered with). */
export function taskLogFields(
  request: Pick<TaskRequest, 'id' | 'name' | 'queue'>,
  queue: string | null = request.queue,
): TaskLogFields {
  return { taskId: request.id, taskName: request.name, queue };
}
