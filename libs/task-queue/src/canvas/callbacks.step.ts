import type { TaskRequest } from '../protocol/task-request.js';
import type { ResultTuple } from '../results/chord-parts.js';
import type { SignaturePublisher } from '../producer/canvas/signature.publisher.js';
import { groupSignature, toSignatureList } from '../producer/canvas/signature.js';

/**
 * Success step 1 (celery/app/trace.py): apply `embed.callbacks` (`link=`) with the return value
 * prepended (immutable signatures keep their args), `parent_id` = this task, `root_id` = its
 * root. One callback is applied alone; with several, group callbacks are applied one by one
 * and the plain ones together as one group, as Celery does.
 */
export async function applyCallbacks(
  publisher: SignaturePublisher,
  request: TaskRequest,
  value: unknown,
): Promise<ResultTuple[]> {
  const callbacks = toSignatureList(request.embed.callbacks);
  if (callbacks.length === 0) return [];
  const parent = { id: request.id, rootId: request.rootId };
  const call = {
    args: [value === undefined ? null : value],
    options: { parent_id: request.id, root_id: request.rootId },
  };
  if (callbacks.length === 1)
    return present(await publisher.applyForResult(callbacks[0]!, call, parent));
  const groups = callbacks.filter((sig) => sig.subtask_type === 'group');
  const plain = callbacks.filter((sig) => sig.subtask_type !== 'group');
  const sent: ResultTuple[] = [];
  for (const group of groups)
    sent.push(...present(await publisher.applyForResult(group, call, parent)));
  if (plain.length > 0) {
    sent.push(...present(await publisher.applyForResult(groupSignature(plain), call, parent)));
  }
  return sent;
}

function present(tuple: ResultTuple | null): ResultTuple[] {
  return tuple ? [tuple] : [];
}
