import { encodeJson } from '../protocol/json-codec.js';
import { decodePythonJson } from '../protocol/python-floats.js';
import type { SerializedError, TaskMeta } from '../contracts/result-backend.interface.js';

/**
 * Celery's result tuple: `[[id, parent_tuple_or_null], null]` for a task,
 * `[[group_id, null], [child tuples...]]` for a group (docs/protocol.md#result-meta, #group-results).
 * @publicApi
 */
export type ResultTuple = [[string, ResultTuple | null], ResultTuple[] | null];

/** The tuple of a single task result. @publicApi */
export function resultTuple(taskId: string, parent: ResultTuple | null = null): ResultTuple {
  return [[taskId, parent], null];
}

/** A GroupResult read back with `restoreGroup`. @publicApi */
export interface SavedGroup {
  groupId: string;
  /** Member tuples in group order (a member may itself be a group). */
  children: ResultTuple[];
  /** Ids of the direct members, in group order. */
  taskIds: string[];
}

/**
 * What {@link RedisResultBackend.onChordPartReturn} tells the worker.
 * - `pending`: other header tasks are still running; nothing to do.
 * - `ready`: this was the last header task. Publish the chord body (`embed.chord`) as a new
 *   task with `results` prepended to its args (`[results, ...body.args]`), its id taken from
 *   `body.options.task_id`, and root_id / parent_id from this header task; then call
 *   `release()` to delete the join keys.
 * - `failed`: a header task failed or was revoked. Store FAILURE for the body's task id with
 *   `error` (Celery's ChordError) and call the body's errbacks; then call `release()`. `hint`
 *   is set when the join keys were unusable (written by another program).
 * @publicApi
 */
export type ChordPartOutcome =
  | { state: 'pending'; count: number }
  | { state: 'ready'; results: unknown[]; release(): Promise<void> }
  | {
      state: 'failed';
      taskId: string;
      error: SerializedError;
      /** What the operator should do, when the join itself is broken (logged, not stored). */
      hint?: string;
      release(): Promise<void>;
    };

const PROPAGATE = new Set(['FAILURE', 'REVOKED']);

/** The `.j` member Celery writes: `[1, "<tid>", "<STATE>", <result>]` (Python separators). */
export function chordMember(meta: TaskMeta): string {
  return `[1, ${JSON.stringify(meta.task_id)}, ${JSON.stringify(meta.status)}, ${encodeJson(meta.result ?? null)}]`;
}

/** One finished header member: its id, state and (encoded) result. */
export interface ChordPart {
  taskId: string;
  status: string;
  result: unknown;
}

/**
 * Decode `.j` members (already in group-index order). A member that is not
 * `[1, "<tid>", "<STATE>", result]` (another program wrote it) is a FAILURE part with a
 * ChordError saying so: the chord fails instead of the join throwing and the body never running.
 */
export function decodeChordMembers(members: string[]): ChordPart[] {
  return members.map((raw) => {
    let member: unknown;
    try {
      member = decodePythonJson(raw, 'chord member');
    } catch {
      member = null;
    }
    if (
      Array.isArray(member) &&
      typeof member[1] === 'string' &&
      typeof member[2] === 'string' &&
      member.length >= 4
    ) {
      return { taskId: member[1], status: member[2], result: member[3] as unknown };
    }
    const shown = raw.length > 80 ? `${raw.slice(0, 77)}...` : raw;
    return {
      taskId: 'unknown',
      status: 'FAILURE',
      result: {
        exc_type: 'ChordError',
        exc_message: [`unreadable chord member ${shown}: not [1, task_id, state, result]`],
        exc_module: 'celery.exceptions',
      },
    };
  });
}

/** Celery's ChordError for the first failed part, or null when every part succeeded. */
export function chordFailure(
  parts: ChordPart[],
): { taskId: string; error: SerializedError } | null {
  const failed = parts.find((p) => PROPAGATE.has(p.status));
  if (!failed) return null;
  return {
    taskId: failed.taskId,
    error: {
      exc_type: 'ChordError',
      exc_message: [`Dependency ${failed.taskId} raised ${exceptionRepr(failed.result)}`],
      exc_module: 'celery.exceptions',
    },
  };
}

/** Python's repr of a stored exception: `ValueError('boom')`. */
export function exceptionRepr(result: unknown): string {
  if (result && typeof result === 'object' && 'exc_type' in result) {
    const e = result as Partial<SerializedError>;
    const args = Array.isArray(e.exc_message) ? e.exc_message : [e.exc_message];
    return `${String(e.exc_type)}(${args.map(pyRepr).join(', ')})`;
  }
  return pyRepr(result);
}

function pyRepr(value: unknown): string {
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}
