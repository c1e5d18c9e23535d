import type { Delivery } from '../contracts/broker.interface.js';
import { TaskNotRegisteredError } from '../errors/task-not-registered.error.js';
import type { TaskRequest } from '../protocol/task-request.js';
import { logName } from '../utils/log-text.js';
import type { DeadLetters } from './dead-letters.js';
import type { ResultRecorder } from './result-recorder.js';
import { celeryNotRegistered, errorInfo } from './task-error.info.js';
import type { TaskOutcomes } from './task-outcomes.js';

/**
 * A message for a task this worker does not know: store Celery's NotRegistered FAILURE, emit
 * `task-failed` with it, and dead-letter the message with one error line saying what to check.
 */
export async function settleUnknownTask(
  deps: { recorder: ResultRecorder; outcomes: TaskOutcomes; deadLetters: DeadLetters },
  delivery: Delivery,
  request: TaskRequest,
  hostname: string,
): Promise<void> {
  const notRegistered = celeryNotRegistered(request.name);
  await deps.recorder.failure(request, hostname, notRegistered);
  // Celery's own task-failed says NotRegistered('name'): Flower, celery-exporter's
  // exception label and this process's metrics see the same as from a Python worker.
  deps.outcomes.emit('task-failed', request, hostname, {
    error: errorInfo(notRegistered),
    reason: 'unknown task',
  });
  const name = logName(request.name, '');
  await deps.deadLetters.deadLetter(delivery, `unknown task "${name}"`, {
    level: 'error',
    hint: new TaskNotRegisteredError(name).message,
    kind: 'unknown_task',
  });
}
