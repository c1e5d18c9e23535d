import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MemoryResultBackend } from '../transports/memory/memory.result-backend.js';
import { isChordJoinCapable } from '../contracts/chord-join.interface.js';
import { resolveChordJoin } from '../producer/canvas/chord-join.resolver.js';
import { MemoryChordJoin } from '../transports/memory/memory-chord.join.js';
import { outcomeMeta } from './outcome-meta.js';

describe('MemoryChordJoin', () => {
  it('completes when every part is in, in group-index order, counting a redelivery once', async () => {
    const join = new MemoryChordJoin();
    const gid = randomUUID();
    await join.setChordSize(gid, 2);
    expect(await join.onChordPartReturn(gid, 1, outcomeMeta('b', 'SUCCESS', 'B'))).toEqual({
      state: 'pending',
      count: 1,
    });
    expect((await join.onChordPartReturn(gid, 1, outcomeMeta('b', 'SUCCESS', 'B'))).state).toBe(
      'pending',
    );
    const done = await join.onChordPartReturn(gid, 0, outcomeMeta('a', 'SUCCESS', 'A'));
    expect(done).toMatchObject({ state: 'ready', results: ['A', 'B'] });
    if (done.state !== 'pending') await done.release();
    await join.setChordSize(gid, 1);
    expect((await join.onChordPartReturn(gid, 0, outcomeMeta('c', 'SUCCESS', 1))).state).toBe(
      'ready',
    );
  });

  it('stays pending without a size, and reports ChordError for a failed part', async () => {
    const join = new MemoryChordJoin();
    const gid = randomUUID();
    const error = { exc_type: 'ValueError', exc_message: ['x'], exc_module: 'builtins' };
    expect((await join.onChordPartReturn(gid, 0, outcomeMeta('a', 'FAILURE', error))).state).toBe(
      'pending',
    );
    await join.setChordSize(gid, 1);
    expect(await join.onChordPartReturn(gid, 0, outcomeMeta('a', 'FAILURE', error))).toMatchObject({
      state: 'failed',
      taskId: 'a',
      error: { exc_type: 'ChordError', exc_message: ["Dependency a raised ValueError('x')"] },
    });
  });

  it('is what the workflow uses for the memory backend; other backends need the capability', () => {
    expect(resolveChordJoin(new MemoryResultBackend())).toBeInstanceOf(MemoryChordJoin);
    expect(resolveChordJoin(null)).toBeNull();
    expect(isChordJoinCapable(new MemoryChordJoin())).toBe(true);
    expect(isChordJoinCapable({ setChordSize: () => undefined })).toBe(false);
  });
});
