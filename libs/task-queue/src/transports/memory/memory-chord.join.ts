import type { TaskMeta } from '../../contracts/result-backend.interface.js';
import { chordFailure, type ChordPart } from '../../results/chord-parts.js';
import type { ChordJoinCapable, ChordPartOutcome } from '../../contracts/chord-join.interface.js';

/** One chord being joined: its size, extra tasks and the parts seen so far. */
interface ChordState {
  size: number | null;
  parts: Map<string, { score: number; part: ChordPart }>;
  expiresAt: number;
}

/**
 * The chord join for the memory result backend, with the Redis join's semantics
 * (docs/protocol.md#chord-join-on-redis): the
 * producer sets the size, each header result is recorded once per task id (a redelivered
 * header task does not count twice), and the part that completes the count gets the results
 * in group-index order, or Celery's ChordError when a part failed or was revoked.
 *
 * Memory results live in the process, so chords do too: the state is shared by every
 * MemoryChordJoin of the process (group ids are uuids), which lets a producer app and a worker
 * app on a shared `memory://<name>` store join the same chord. JavaScript runs each call's
 * read-modify-write without interleaving, so no lock is needed.
 */
export class MemoryChordJoin implements ChordJoinCapable {
  private static readonly chords = new Map<string, ChordState>();

  /** @param expiresSeconds how long an unfinished chord is kept (Celery `result_expires`). */
  constructor(private readonly expiresSeconds = 86_400) {}

  async setChordSize(groupId: string, size: number): Promise<void> {
    this.state(groupId).size = size;
  }

  async onChordPartReturn(
    groupId: string,
    groupIndex: number | null,
    meta: TaskMeta,
  ): Promise<ChordPartOutcome> {
    const state = this.state(groupId);
    const part: ChordPart = { taskId: meta.task_id, status: meta.status, result: meta.result };
    state.parts.set(meta.task_id, { score: groupIndex ?? Infinity, part });
    const count = state.parts.size;
    if (state.size === null || count !== state.size) return { state: 'pending', count };
    const parts = [...state.parts.values()]
      .sort((a, b) => a.score - b.score)
      .map((entry) => structuredClone(entry.part));
    const release = async (): Promise<void> => {
      MemoryChordJoin.chords.delete(groupId);
    };
    const failure = chordFailure(parts);
    if (failure) return { state: 'failed', ...failure, release };
    return { state: 'ready', results: parts.map((p) => p.result), release };
  }

  /** The live state of `groupId`, created (and stale chords dropped) on first use. */
  private state(groupId: string): ChordState {
    const now = Date.now();
    const chords = MemoryChordJoin.chords;
    for (const [id, chord] of chords) if (chord.expiresAt <= now) chords.delete(id);
    let state = chords.get(groupId);
    if (!state) {
      state = { size: null, parts: new Map(), expiresAt: 0 };
      chords.set(groupId, state);
    }
    state.expiresAt = now + this.expiresSeconds * 1000;
    return state;
  }
}
