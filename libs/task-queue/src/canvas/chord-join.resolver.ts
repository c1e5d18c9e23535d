import { MemoryResultBackend } from '../transports/memory/memory.result-backend.js';
import type { ResultBackend } from '../contracts/result-backend.interface.js';
import { isChordJoinCapable, type ChordJoinCapable } from '../contracts/chord-join.interface.js';
import { MemoryChordJoin } from '../transports/memory/memory-chord.join.js';

/**
 * The chord join for a result backend: the backend's own (Redis native join), the in-process
 * join for the memory backend, or null when the backend cannot join chords (TypeORM, rpc://,
 * results disabled).
 */
export function resolveChordJoin(
  backend: ResultBackend | null,
  expiresSeconds?: number,
): ChordJoinCapable | null {
  if (isChordJoinCapable(backend)) return backend;
  if (backend instanceof MemoryResultBackend) return new MemoryChordJoin(expiresSeconds);
  return null;
}
