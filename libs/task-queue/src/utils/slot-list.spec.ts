import { describe, expect, it } from 'vitest';
import { SlotList, type Slotted } from './slot-list.js';

interface Item extends Slotted {
  name: string;
}
const item = (name: string): Item => ({ name, slot: -1 });

describe('SlotList', () => {
  it('adds and removes entries in any order', () => {
    const list = new SlotList<Item>();
    const [a, b, c] = [item('a'), item('b'), item('c')];
    list.add(a);
    list.add(b);
    list.add(c);
    expect(list.size).toBe(3);
    expect(list.remove(a)).toBe(true);
    expect(list.has(a)).toBe(false);
    expect(list.has(c)).toBe(true);
    expect(
      list
        .values()
        .map((x) => x.name)
        .sort(),
    ).toEqual(['b', 'c']);
    expect(list.remove(c)).toBe(true);
    expect(list.remove(b)).toBe(true);
    expect(list.size).toBe(0);
  });

  it('removes an entry only once, and never one it does not hold', () => {
    const list = new SlotList<Item>();
    const other = new SlotList<Item>();
    const a = item('a');
    const b = item('b');
    list.add(a);
    other.add(b);
    expect(list.remove(b)).toBe(false);
    expect(list.remove(a)).toBe(true);
    expect(list.remove(a)).toBe(false);
    expect(other.has(b)).toBe(true);
  });

  it('refuses an entry that is already on a list', () => {
    const list = new SlotList<Item>();
    const a = item('a');
    list.add(a);
    expect(() => list.add(a)).toThrow(/already on a list/);
  });

  it('clear() returns every entry and leaves them on no list', () => {
    const list = new SlotList<Item>();
    const entries = [item('a'), item('b')];
    entries.forEach((e) => list.add(e));
    expect(list.clear()).toEqual(entries);
    expect(list.size).toBe(0);
    expect(entries.every((e) => e.slot === -1)).toBe(true);
    list.add(entries[0]!);
    expect(list.size).toBe(1);
  });
});
