import type {
  ResultBackend,
  TaskMeta,
  WaitOptions,
} from '../contracts/result-backend.interface.js';
import { errorOfMeta, propagatesError } from './meta-error.js';

/** What the walk needs of a result handle: its id, its parent, and a group's members. */
interface ResultNode {
  readonly id: string;
  readonly parent: ResultNode | null;
  readonly results?: readonly ResultNode[];
}

/** The task ids of a node: itself, or a group's members (nested groups flattened). */
function taskIds(node: ResultNode): string[] {
  return node.results ? node.results.flatMap(taskIds) : [node.id];
}

/** The task ids of every ancestor of a result, the chain's first step first (Celery's order). */
function ancestorIds(parent: ResultNode | null): string[] {
  const layers: string[][] = [];
  for (let node = parent; node; node = node.parent) layers.unshift(taskIds(node));
  return layers.flat();
}

/** Throw the error of the first ancestor (root first) stored as FAILURE or REVOKED. */
async function throwFailedAncestor(ids: readonly string[], backend: ResultBackend): Promise<void> {
  const metas = await Promise.all(ids.map((id) => backend.get(id)));
  const index = metas.findIndex((meta) => meta !== null && propagatesError(meta));
  if (index !== -1) throw errorOfMeta(ids[index]!, metas[index]!);
}

/**
 * Celery's `AsyncResult.get(follow_parents=True)`: wait for `taskId`, but reject with the error
 * of a parent (chain step before it, chord header member) that failed or was revoked, checked
 * before waiting and again whenever a parent becomes ready, so a chain whose earlier step failed
 * without its later steps being marked (a revoked step, a Python chord inside a chain) does not
 * wait for ever. The parents are watched through the backend's own wait (no polling).
 */
export async function waitFollowingParents(
  taskId: string,
  parent: ResultNode,
  backend: ResultBackend,
  options: WaitOptions,
): Promise<TaskMeta> {
  const ids = ancestorIds(parent);
  await throwFailedAncestor(ids, backend);
  const stop = new AbortController();
  const parentFailed = new Promise<never>((_, reject) => {
    for (const id of ids) {
      backend.waitForReady(id, { signal: stop.signal }).then(
        (meta) => {
          if (!propagatesError(meta)) return;
          // Report the first failed ancestor, as Celery does, not the first one heard of.
          throwFailedAncestor(ids, backend).then(() => reject(errorOfMeta(id, meta)), reject);
        },
        () => undefined,
      );
    }
  });
  parentFailed.catch(() => undefined);
  try {
    return await Promise.race([backend.waitForReady(taskId, options), parentFailed]);
  } finally {
    stop.abort();
  }
}
