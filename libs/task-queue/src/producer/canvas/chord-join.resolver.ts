import type { ResultBackend } from '../../contracts/result-backend.interface.js';
import {
  isChordJoinCapable,
  isChordJoinSource,
  type ChordJoinCapable,
} from '../../contracts/chord-join.interface.js';

/**
 * The chord join for a result backend: the backend's own (Redis native join), the join it hands
 * out (the memory backend's in-process join), or null when the backend cannot join chords
 * (TypeORM, rpc://, results disabled).
 */
export function resolveChordJoin(
  backend: ResultBackend | null,
  expiresSeconds?: number,
): ChordJoinCapable | null {
  if (isChordJoinCapable(backend)) return backend;
  if (isChordJoinSource(backend)) return backend.createChordJoin(expiresSeconds);
  return null;
}
