import type { ResultBackend, TaskMeta } from '../contracts/result-backend.interface.js';
import { isReadyState } from '../results/task-states.js';

/** Header results read at once by one `celery.chord_unlock` check. */
const BATCH = 50;

/**
 * The stored results of a chord header, in order, when every one is ready; null as soon as one
 * is not (or none is stored). Read in batches that stop at the first batch holding a result not
 * ready, as Celery's `deps.ready()` stops at the first one: a check of a large header that waits
 * on its first results costs a batch, not a read per header task every `interval` seconds.
 */
export async function readyHeader(
  backend: ResultBackend | null,
  ids: string[],
): Promise<TaskMeta[] | null> {
  if (!backend) return ids.length === 0 ? [] : null;
  const metas: TaskMeta[] = [];
  for (let start = 0; start < ids.length; start += BATCH) {
    const batch = await Promise.all(ids.slice(start, start + BATCH).map((id) => backend.get(id)));
    for (const meta of batch) {
      if (!meta || !isReadyState(meta.status)) return null;
      metas.push(meta);
    }
  }
  return metas;
}
