import type { Delivery } from '../contracts/broker.interface.js';
import type { TaskRequest } from '../protocol/task-request.js';
import type { RevokedTasks } from '../revocation/revoked-tasks.js';
import { DEDUPE_HEADER } from '../task-queue.constants.js';
import type { TaskDefinition } from '../tasks/task-definition.js';
import { NO_INSTRUMENTATION, type TaskInstrumentation } from '../tasks/task-instrumentation.js';
import type { TaskRegistry } from '../tasks/task.registry.js';
import { refusalOf } from './refusal.js';
import type { SuccessWrite } from './result-write.js';
import type { TaskAbort } from './lazy-abort.js';
import type { ResultRecorder } from './result-recorder.js';
import { RunningTaskState } from './running-task.js';
import type { TaskOutcomes } from './task-outcomes.js';
import { sentAtOf } from './task-timing.js';

/** `Begun.outcome` before the handler was called. */
export const NOT_CALLED = Symbol('not called');

/** A handler's start, and what the executor's fast path already did of its run. */
export interface Begun {
  /** `performance.now()` when the handler started. */
  started: number;
  running: RunningTaskState;
  /** What the handler returned, or NOT_CALLED. */
  outcome: unknown;
  /** What the handler threw (or what threw after it), boxed: any value can be thrown. */
  threw?: { error: unknown };
  /** The result's write, already on its way. */
  write?: SuccessWrite;
}

/**
 * The task's definition when the executor may run it on its fast path (no promise of its own
 * per task), else undefined: the default instrumentation, a registered task that is neither
 * refused nor deduplicated, acked late, its result stored, no STARTED state to store first.
 */
export function fastPathDefinition(
  delivery: Delivery,
  request: TaskRequest,
  registry: TaskRegistry,
  revoked: RevokedTasks,
  instrumentation: TaskInstrumentation,
): TaskDefinition | undefined {
  if (instrumentation !== NO_INSTRUMENTATION || delivery.reclaimed) return undefined;
  if (request.ignoreResult || request.headers[DEDUPE_HEADER] === true) return undefined;
  if (refusalOf(request, registry, revoked)) return undefined;
  const definition = registry.get(request.name);
  const options = definition?.options;
  if (!options || options.dedupe || options.ignoreResult || options.trackStarted) return undefined;
  return options.acksLate === false ? undefined : definition;
}

/** The handler's start: its clock, `task-started`, and the state it runs with. */
export function beginRun(
  outcomes: TaskOutcomes,
  recorder: ResultRecorder,
  delivery: Delivery,
  request: TaskRequest,
  hostname: string,
  controller: TaskAbort,
): Begun {
  const started = performance.now();
  // The send time is read only for someone listening (metrics' queue wait).
  if (outcomes.listens('task-started')) {
    outcomes.emit('task-started', request, hostname, { sentAt: sentAtOf(request.headers) });
  }
  const running = new RunningTaskState(request, hostname, controller, delivery, recorder);
  return { started, running, outcome: NOT_CALLED };
}
