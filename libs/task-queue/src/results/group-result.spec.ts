import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TaskTimeoutError } from '../errors/task-timeout.error.js';
import { MemoryResultBackend } from '../transports/memory/memory.result-backend.js';
import { outcomeMeta } from '../canvas/outcome-meta.js';
import { AsyncResult } from './async-result.js';
import { GroupResult } from './group-result.js';

function groupOf(backend: MemoryResultBackend, size: number): GroupResult<number[]> {
  const members = Array.from({ length: size }, () => new AsyncResult(randomUUID(), backend));
  return new GroupResult<number[]>(randomUUID(), members, backend);
}

afterEach(() => vi.useRealTimers());

describe('GroupResult.get', () => {
  it('waits at most `timeout` for all the members together, as Celery join(timeout=)', async () => {
    vi.useFakeTimers();
    const backend = new MemoryResultBackend(randomUUID());
    const group = groupOf(backend, 2);
    const outcome = group.get({ timeout: 1_000 }).catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(600);
    await backend.store(outcomeMeta(group.results[0]!.id, 'SUCCESS', 1));
    // The second member never finishes: the whole get() times out 1 s after it began.
    await vi.advanceTimersByTimeAsync(500);
    const error = await Promise.race([outcome, Promise.resolve('still waiting')]);
    expect(error).toBeInstanceOf(TaskTimeoutError);
    expect((error as TaskTimeoutError).taskId).toBe(group.results[1]!.id);
    expect((error as Error).message).toContain(`group ${group.id}`);
  });

  it('resolves the values in group order when every member finishes in time', async () => {
    const backend = new MemoryResultBackend(randomUUID());
    const group = groupOf(backend, 3);
    for (const [i, member] of [...group.results].reverse().entries()) {
      await backend.store(outcomeMeta(member.id, 'SUCCESS', 2 - i));
    }
    expect(await group.get({ timeout: 1_000 })).toEqual([0, 1, 2]);
  });

  it('an abort of the caller signal rejects with its reason', async () => {
    const backend = new MemoryResultBackend(randomUUID());
    const group = groupOf(backend, 2);
    const controller = new AbortController();
    const outcome = group.get({ timeout: 60_000, signal: controller.signal });
    controller.abort(new Error('stop'));
    await expect(outcome).rejects.toThrow('stop');
  });
});
