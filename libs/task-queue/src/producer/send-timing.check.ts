import { TaskQueueError } from '../errors/task-queue.error.js';
import type { SendOptions } from '../contracts/apply-options.interface.js';
import { isValidDate, secondsProblem, shownValue as shown } from '../utils/timing-values.js';

/**
 * Refuse, before anything is built or sent, a `countdown`, `eta`, `expires` or `queue` no
 * message can carry: a countdown that is not a finite number of seconds (or ends past the last
 * date JavaScript can hold), an `eta` that is not a valid Date, an empty queue name. Was: a
 * bare `RangeError: Invalid time value` or `TypeError: date.toISOString is not a function`,
 * and a NaN countdown sent the task at once (Celery's timedelta raises ValueError).
 */
export function checkSendTiming(name: string, options: SendOptions, now: number): void {
  const problem = timingProblem(options, now);
  if (problem) throw new TaskQueueError(`Cannot send ${name}: ${problem}. Nothing was sent.`);
}

function timingProblem(options: SendOptions, now: number): string | undefined {
  const { countdown, eta, expires, queue } = options;
  if (countdown !== undefined && countdown !== null) {
    const why = secondsProblem(countdown, now);
    if (why) return `countdown ${why}`;
  }
  if (eta !== undefined && eta !== null && !isValidDate(eta)) {
    return `eta must be a valid Date; got ${shown(eta)}`;
  }
  if (expires !== undefined && expires !== null && !isValidDate(expires)) {
    if (expires instanceof Date) return 'expires must be a valid Date; got an invalid Date';
    const why = secondsProblem(expires, now);
    if (why) return `expires ${why}`;
  }
  if (queue !== undefined && (typeof queue !== 'string' || queue.length === 0)) {
    return `queue must be a non-empty queue name; got ${shown(queue)}`;
  }
  return undefined;
}
