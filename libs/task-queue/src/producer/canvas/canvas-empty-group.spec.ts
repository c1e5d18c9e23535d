import { describe, expect, it } from 'vitest';
import { GroupResult } from '../../results/group-result.js';
import type { Signature } from './canvas-signature.js';
import { group } from './canvas.functions.js';

describe('a group of no tasks (group(...items.map(...)) over an empty list)', () => {
  const none: Signature[] = [];

  it("applies as Celery's group([]).apply_async(): nothing sent, an empty GroupResult", async () => {
    const result = await group(...none).applyAsync();
    expect(result).toBeInstanceOf(GroupResult);
    expect(result.results).toEqual([]);
    expect(await result.get({ timeout: 1_000 })).toEqual([]);
    expect(await result.ready()).toBe(true);
    expect(await result.completedCount()).toBe(0);
  });

  it('keeps a given id, through delay() and applyAsyncOnCommit() too', async () => {
    expect((await group(...none).applyAsync(undefined, { taskId: 'g-1' })).id).toBe('g-1');
    expect(
      (
        await group(...none)
          .set({ taskId: 'g-2' })
          .delay()
      ).id,
    ).toBe('g-2');
    expect((await group(...none).applyAsyncOnCommit()).results).toEqual([]);
  });
});
