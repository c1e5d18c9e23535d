import type { ResultTuple, SavedGroup } from '../results/chord-parts.js';

/**
 * A result backend capability: saving and restoring a group's member results (Celery's
 * `GroupResult.save()` / `GroupResult.restore(id)`). Redis, typeorm and memory have it;
 * rpc:// does not (as in Celery).
 */
export interface GroupStore {
  saveGroup(groupId: string, children: ResultTuple[]): Promise<void>;
  restoreGroup(groupId: string): Promise<SavedGroup | null>;
  forgetGroup(groupId: string): Promise<void>;
}

/** True when `value` implements {@link GroupStore}. */
export function isGroupStore(value: unknown): value is GroupStore {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<Record<keyof GroupStore, unknown>>;
  return typeof candidate.saveGroup === 'function' && typeof candidate.restoreGroup === 'function';
}
