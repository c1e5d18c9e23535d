import type { Delivery } from '../contracts/broker.interface.js';
import { UnserializableValueError } from '../errors/unserializable-value.error.js';
import { hasSuccessSteps } from '../canvas/success-steps.js';
import type { TaskRequest } from '../protocol/task-request.js';
import type { RevokedTasks, TrackedRun } from '../revocation/revoked-tasks.js';
import type { TaskDefinition } from '../tasks/task-definition.js';
import { isThenable } from '../utils/is-thenable.js';
import type { Begun } from './fast-path.js';
import { abortReasonOf, type TaskAbort } from './lazy-abort.js';
import type { TaskPools } from './pool/task-pools.js';
import type { ResultRecorder } from './result-recorder.js';
import type { SharedSettlement } from './shared-settlement.js';
import { invokeTask } from './task-invocation.js';
import type { TaskOutcomes } from './task-outcomes.js';

/** One task on the fast path: what `TaskExecutor.run` was given, and its definition. */
export interface FastPathJob {
  delivery: Delivery;
  request: TaskRequest;
  hostname: string;
  controller: TaskAbort;
  definition: TaskDefinition;
  finish: () => void;
  fail: (error: Error) => void;
}

/** What the fast path uses of its executor. */
export interface FastPathContext {
  pools: TaskPools;
  recorder: ResultRecorder;
  outcomes: TaskOutcomes;
  revoked: RevokedTasks;
  /** The tasks waiting for their result's batched store. */
  stores: SharedSettlement;
  /** The handler's start (clock, `task-started`, running state). */
  begin(job: FastPathJob): Begun;
  /** Ack without holding the task's slot. */
  ack(job: FastPathJob): void;
  /** Go on the general way from where `begun` says the run is; then `finish` or `fail`. */
  slow(job: FastPathJob, tracked: TrackedRun, begun: Begun): void;
}

/**
 * Run a task whose checks passed (see fastPathDefinition) without a promise of its own: its
 * synchronous handler's value is stored, and the tasks whose results share one batched store
 * share one reaction, after which each sends its success events, is acked in the background
 * and finishes. Anything else (a promise returned, a throw, committed work, an abort, canvas
 * steps, a value JSON cannot carry, a failed write) goes on the general way from there, as if
 * the executor's attempt had run it from the start.
 */
export function runFastPath(ctx: FastPathContext, job: FastPathJob): void {
  const { request, hostname, controller } = job;
  const tracked = ctx.revoked.track(request.id, controller, { request, hostname });
  const begun = ctx.begin(job);
  const slow = (): void => ctx.slow(job, tracked, begun);
  let value: unknown;
  try {
    const { delivery, definition } = job;
    value = invokeTask(
      ctx.pools,
      definition,
      request,
      hostname,
      delivery,
      controller,
      begun.running,
    );
  } catch (error) {
    begun.threw = { error };
    return slow();
  }
  begun.outcome = value;
  if (
    isThenable(value) ||
    begun.running.onCommitWork ||
    abortReasonOf(controller) !== undefined ||
    hasSuccessSteps(request)
  )
    return slow();
  const write = ctx.recorder.success(request, hostname, value, controller, begun.running.children);
  if (write instanceof UnserializableValueError) return slow();
  begun.write = write;
  ctx.stores.when(write.written, {
    resolved: () => {
      try {
        ctx.outcomes.succeeded(request, hostname, value, begun.started);
      } catch (error) {
        begun.threw = { error };
        return slow();
      }
      ctx.ack(job);
      ctx.revoked.untrack(tracked);
      job.finish();
    },
    // Recovered (or not) the general way: awaiting the rejected write again throws its error.
    rejected: slow,
  });
}
