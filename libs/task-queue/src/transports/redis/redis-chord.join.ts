import type { TaskMeta } from '../../contracts/result-backend.interface.js';
import type { ChordPart, ResultTuple, SavedGroup } from '../../results/chord-parts.js';

/**
 * Join a chord whose header was saved as a GroupResult (a header member is itself a group):
 * like Celery's `join_native`, each member's result is read from its own meta and nested
 * groups become nested lists. A member without a stored result counts as FAILURE.
 */
export async function joinSavedGroup(
  group: SavedGroup,
  get: (taskId: string) => Promise<TaskMeta | null>,
): Promise<ChordPart[]> {
  return Promise.all(group.children.map((child) => joinTuple(child, get)));
}

async function joinTuple(
  tuple: ResultTuple,
  get: (taskId: string) => Promise<TaskMeta | null>,
): Promise<ChordPart> {
  const [[id], members] = tuple;
  if (Array.isArray(members)) {
    const parts = await Promise.all(members.map((m) => joinTuple(m, get)));
    const failed = parts.find((p) => p.status !== 'SUCCESS');
    return failed ?? { taskId: id, status: 'SUCCESS', result: parts.map((p) => p.result) };
  }
  const meta = await get(id);
  if (!meta) {
    return {
      taskId: id,
      status: 'FAILURE',
      result: {
        exc_type: 'ChordError',
        exc_message: ['result missing'],
        exc_module: 'celery.exceptions',
      },
    };
  }
  return { taskId: id, status: meta.status, result: meta.result };
}
