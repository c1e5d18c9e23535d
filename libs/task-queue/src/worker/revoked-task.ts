import type { Logger } from '@nestjs/common';
import type { WorkflowService } from '../canvas/workflow.service.js';
import type { Delivery } from '../contracts/broker.interface.js';
import type { TaskRequest } from '../protocol/task-request.js';
import type { TrackedRun } from '../revocation/revoked-tasks.js';
import { displayName } from '../tasks/task-events.js';
import { taskLogFields } from '../tasks/task-log-fields.js';
import type { ResultRecorder } from './result-recorder.js';
import type { TaskOutcomes } from './task-outcomes.js';

/** What the executor attaches to a tracked run (for `terminate`). */
export interface RunOwner {
  request: TaskRequest;
  hostname: string;
}

/** What settling a revoked task needs. */
export interface RevocationDeps {
  recorder: ResultRecorder;
  workflow: WorkflowService;
  outcomes: TaskOutcomes;
  logger: Logger;
}

/**
 * A revoked task arrived (or came due): store REVOKED, fail its chord if it is a header member
 * (Celery's mark_as_revoked), emit `task-revoked` and ack the message.
 */
export async function discardRevokedTask(
  deps: RevocationDeps,
  delivery: Delivery,
  request: TaskRequest,
  hostname: string,
  reason: string,
): Promise<void> {
  deps.logger.log(
    `Discarding revoked task ${displayName(request)}[${request.id}] (${reason}).`,
    taskLogFields(request),
  );
  // Celery's mark_as_revoked: a chord header member fails its chord.
  const error = await deps.recorder.revoked(request, hostname, reason);
  await deps.workflow.onRevoked(request, error, hostname);
  deps.outcomes.emit('task-revoked', request, hostname, { reason });
  await delivery.ack();
}

/** `revoke(id, { terminate: true })` aborted a running task: store REVOKED now, join the chord (Celery). */
export function storeTerminated(deps: RevocationDeps, run: TrackedRun<RunOwner>): void {
  const owner = run.owner;
  if (!owner) return;
  void deps.recorder
    .revoked(owner.request, owner.hostname, 'terminated')
    .then((error) => deps.workflow.onRevoked(owner.request, error, owner.hostname));
  deps.outcomes.emit('task-revoked', owner.request, owner.hostname, {
    reason: 'terminated',
    cause: run.controller.signal.reason,
  });
}
