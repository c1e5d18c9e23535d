import { ResultBackendError } from '../errors/result-backend.error.js';
import type { ResultTuple, SavedGroup } from './chord-parts.js';

/**
 * The stored form of a saved group, as Celery's key-value backends write it
 * (`GroupResult.save()`): `{"result": [[gid, null], [member tuples]]}`.
 */
export function encodeSavedGroup(groupId: string, children: ResultTuple[]): string {
  return JSON.stringify({ result: [[groupId, null], children] });
}

/**
 * A saved group read back. Also accepts a bare JSON array of member task ids (what the
 * `typeorm` backend stored before it kept the member tuples). `where` names the record in the
 * error thrown when the value cannot be read.
 */
export function decodeSavedGroup(groupId: string, raw: string, where: string): SavedGroup {
  try {
    const parsed = JSON.parse(raw) as unknown;
    const children = Array.isArray(parsed)
      ? parsed.map((id): ResultTuple => {
          if (typeof id !== 'string') throw new Error('a member id is not a string');
          return [[id, null], null];
        })
      : (parsed as { result?: [unknown, unknown] } | null)?.result?.[1];
    if (!Array.isArray(children)) throw new Error('no member list');
    const tuples = children as ResultTuple[];
    return { groupId, children: tuples, taskIds: tuples.map((c) => c[0][0]) };
  } catch (error) {
    throw new ResultBackendError(
      `The saved group ${groupId} (${where}) cannot be read: ${(error as Error).message}.`,
      { cause: error },
    );
  }
}
