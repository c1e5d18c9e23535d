import type { TaskMeta } from './result-backend.interface.js';
import type { ChordPartOutcome } from '../results/chord-parts.js';

export type { ChordPartOutcome } from '../results/chord-parts.js';

/**
 * A result backend capability: counting chord header results and telling the worker when the
 * chord is complete (Celery's `set_chord_size` + `on_chord_part_return`,
 * docs/protocol.md#chord-join-on-redis). The Redis backend has it natively; the memory backend gets it
 * from {@link MemoryChordJoin}. A backend without it cannot complete chords.
 */
export interface ChordJoinCapable {
  /** Producer side: the number of header tasks of chord `groupId` (Redis: `….s`). */
  setChordSize(groupId: string, size: number): Promise<void>;
  /**
   * Worker side, after a header task's result is stored: record `meta` at `groupIndex` and
   * report `pending`, `ready` (with results in group-index order) or `failed`. The caller
   * publishes the body (or fails it) and then calls `release()`.
   */
  onChordPartReturn(
    groupId: string,
    groupIndex: number | null,
    meta: TaskMeta,
  ): Promise<ChordPartOutcome>;
}

/** True when `value` implements {@link ChordJoinCapable} (duck-typed, like the Redis backend). */
export function isChordJoinCapable(value: unknown): value is ChordJoinCapable {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<Record<keyof ChordJoinCapable, unknown>>;
  return (
    typeof candidate.setChordSize === 'function' &&
    typeof candidate.onChordPartReturn === 'function'
  );
}
