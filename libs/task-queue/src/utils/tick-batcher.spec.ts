import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { TickBatcher } from './tick-batcher.js';

describe('TickBatcher', () => {
  it('sends the items of one turn together at the end of the turn', async () => {
    const sent: number[][] = [];
    const batcher = new TickBatcher<number>(async (items) => void sent.push(items));
    const settled = [1, 2, 3].map((n) => batcher.add(n));
    expect(sent).toEqual([]);
    await Promise.all(settled);
    expect(sent).toEqual([[1, 2, 3]]);
  });

  it('sends a full batch at once, and the rest of the turn at its end', async () => {
    const sent: number[][] = [];
    const batcher = new TickBatcher<number>(async (items) => void sent.push(items), 2);
    for (const n of [1, 2, 3, 4, 5]) void batcher.add(n);
    expect(sent).toEqual([
      [1, 2],
      [3, 4],
    ]);
    await nextTurn();
    expect(sent).toEqual([[1, 2], [3, 4], [5]]);
  });

  it("rejects every item of a failed batch with send's error, and only those", async () => {
    let fail = true;
    const batcher = new TickBatcher<number>(async () => {
      if (fail) throw new Error('refused');
    });
    const first = [batcher.add(1), batcher.add(2)];
    await expect(first[0]).rejects.toThrow('refused');
    await expect(first[1]).rejects.toThrow('refused');
    fail = false;
    await expect(batcher.add(3)).resolves.toBeUndefined();
  });

  it('flush() sends what is pending now and never rejects', async () => {
    const sent: number[][] = [];
    const batcher = new TickBatcher<number>(async (items) => {
      sent.push(items);
      throw new Error('down');
    });
    const item = batcher.add(7);
    await expect(batcher.flush()).resolves.toBeUndefined();
    expect(sent).toEqual([[7]]);
    await expect(item).rejects.toThrow('down');
    await nextTurn();
    expect(sent).toEqual([[7]]);
  });
});
