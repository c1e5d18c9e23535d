import type { TaskMessage } from '../contracts/task-message.interface.js';
import { toCeleryDate } from './json-codec.js';
import { createTaskMessage } from './task-message.factory.js';
import type { TaskRequest } from './task-request.js';

/**
 * The message that retries `request` (its next attempt, due at `eta` or now).
 *
 * A protocol v2 message is re-sent as it came (compressed body and custom headers kept) with
 * its `retries`, `eta` and `parent_id` headers updated. A protocol v1 message (Celery's
 * `task_protocol=1`) keeps those fields in its body, where new headers would not be read: it
 * is re-sent as a protocol v2 message, as a Python worker's `Task.retry` sends it.
 */
export function retryMessage(request: TaskRequest, eta: Date | null): TaskMessage {
  // Celery's retry keeps the request's parent; send_task names the task itself only when it
  // has none (a chain step's parent stays the step before it).
  const parentId = request.parentId ?? request.id;
  const retries = request.retries + 1;
  if (typeof request.message.headers?.task === 'string') {
    return {
      ...request.message,
      headers: {
        ...request.message.headers,
        retries,
        eta: eta && toCeleryDate(eta),
        parent_id: parentId,
      },
    };
  }
  const [timeLimit, softTimeLimit] = request.timeLimit;
  const original = request.message;
  // The body is re-encoded as plain JSON: a `compression` header would no longer be true.
  const { compression: _compression, ...headers } = original.headers ?? {};
  return createTaskMessage({
    name: request.name,
    id: request.id,
    args: request.args,
    kwargs: request.kwargs,
    embed: request.embed,
    eta,
    expires: request.expires,
    retries,
    timeLimit,
    softTimeLimit,
    rootId: request.rootId,
    parentId,
    group: request.group,
    groupIndex: request.groupIndex,
    priority: typeof original.properties?.priority === 'number' ? original.properties.priority : 0,
    replyTo: request.replyTo,
    headers,
  });
}
