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
 * `task-failed`, and dead-letter the message with one error line saying what to check.
 */
export async function settleUnknownTask(
  deps: { recorder: ResultRecorder; outcomes: TaskOutcomes; deadLetters: DeadLetters },
  delivery: Delivery,
  request: TaskRequest,
  hostname: string,
): Promise<void> {
  await deps.recorder.failure(request, hostname, celeryNotRegistered(request.name));
  deps.outcomes.emit('task-failed', request, hostname, {
    error: errorInfo(new TaskNotRegisteredError(request.name)),
    reason: 'unknown task',
  });
  const name = logName(request.name, '');
  await deps.deadLetters.deadLetter(delivery, `unknown task "${name}"`, {
    level: 'error',
    hint: new TaskNotRegisteredError(name).message,
    kind: 'unknown_task',
  });
}
