import type { SerializedError, TaskMeta } from '../../contracts/result-backend.interface.js';
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

/** What operators read when a join key was written by another program. */
const FOREIGN_KEY_HINT =
  'Another program writes celery-taskset-meta-* keys in this Redis database: give the result ' +
  'backend a database of its own (or stop that program), then send the chord again.';

/**
 * Celery's `ChordError('Join error: ...')` for a chordPartReturn-4.lua reply that reports a
 * join key it cannot use (`{2, size}`: the size is not a number; `{3, key, type}`: a key holds
 * another type), with the operator's hint; null for the normal replies.
 */
export function chordJoinError(
  reply: readonly unknown[],
  sizeKey: string,
): { error: SerializedError; hint: string } | null {
  const code = Number(reply[0]);
  let message: string;
  if (code === 2) {
    const size = String(reply[1]).slice(0, 80);
    message = `Join error: the chord size in ${sizeKey} is not a number: ${JSON.stringify(size)}`;
  } else if (code === 3) {
    const expected = String(reply[1]).endsWith('.j') ? 'a sorted set' : 'a string';
    message = `Join error: ${String(reply[1])} holds a ${String(reply[2])}, not ${expected}`;
  } else return null;
  return {
    error: { exc_type: 'ChordError', exc_message: [message], exc_module: 'celery.exceptions' },
    hint: FOREIGN_KEY_HINT,
  };
}
