import type { SignatureDict } from '../contracts/task-message.interface.js';
import type { SignaturePublisher } from '../producer/canvas/signature.publisher.js';
import { groupSignature } from '../producer/canvas/signature.js';

/**
 * Celery 5.2's `_call_task_errbacks` for errbacks that are not run in process: they are sent as
 * `group(errbacks).apply_async((failed_task_id,), parent_id=failed_task_id, root_id=root)`, so
 * each errback message gets the failed task's id prepended to its args (unless immutable) and
 * a shared new `group_id`. Python's "new-style" errbacks `(request, exc, traceback)` only
 * exist in Python processes; over the wire every errback is sent this way.
 */
export async function applyErrbacks(
  publisher: SignaturePublisher,
  errbacks: SignatureDict[],
  failedTaskId: string | null,
  rootId: string | null,
): Promise<void> {
  if (errbacks.length === 0) return;
  const root = rootId ?? failedTaskId;
  await publisher.apply(
    groupSignature(errbacks),
    { args: [failedTaskId], options: { parent_id: failedTaskId, root_id: root } },
    failedTaskId ? { id: failedTaskId, rootId: root ?? failedTaskId } : null,
  );
}
