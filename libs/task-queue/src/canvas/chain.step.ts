import type { TaskRequest } from '../protocol/task-request.js';
import type { ResultTuple } from '../results/chord-parts.js';
import type { SignaturePublisher } from '../producer/canvas/signature.publisher.js';
import { toSignatureList } from '../producer/canvas/signature.js';

/**
 * Success step 2 (celery/app/trace.py): `embed.chain` holds the remaining steps in reverse
 * order. Pop the last one and apply it with the return value prepended (unless immutable),
 * the rest (still reversed) as its `chain`, `parent_id` = this task and `root_id` = its root.
 * Priority is not inherited (Celery's `task_inherit_parent_priority` defaults to off).
 */
export async function continueChain(
  publisher: SignaturePublisher,
  request: TaskRequest,
  value: unknown,
): Promise<ResultTuple[]> {
  const chain = toSignatureList(request.embed.chain);
  const next = chain.pop();
  if (!next) return [];
  const applied = await publisher.applyForResult(
    next,
    {
      args: [value === undefined ? null : value],
      options: { chain, parent_id: request.id, root_id: request.rootId },
    },
    { id: request.id, rootId: request.rootId },
  );
  return applied ? [applied] : [];
}
