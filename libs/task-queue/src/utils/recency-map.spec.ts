import { describe, expect, it } from 'vitest';
import { dropOldest, touchEntry } from './recency-map.js';

describe('recency map', () => {
  it('creates an absent entry once and makes a touched one the most recent', () => {
    const map = new Map([
      ['a', 1],
      ['b', 2],
    ]);
    let created = 0;
    expect(touchEntry(map, 'a', () => ++created)).toBe(1);
    expect(touchEntry(map, 'c', () => ++created + 2)).toBe(3);
    expect(created).toBe(1);
    expect([...map.keys()]).toEqual(['b', 'a', 'c']);
  });

  it('drops the least recently touched entries down to the limit', () => {
    const map = new Map([
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ]);
    touchEntry(map, 'a', () => 0);
    dropOldest(map, 2);
    expect([...map.keys()]).toEqual(['c', 'a']);
    dropOldest(map, 5);
    expect(map.size).toBe(2);
  });
});
