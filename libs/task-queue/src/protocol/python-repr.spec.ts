import { describe, expect, it } from 'vitest';
import { pyRepr, pyTupleRepr } from './python-repr.js';

describe('Python reprs (bounded like saferepr)', () => {
  it('writes JSON-like values as Python does', () => {
    expect(pyTupleRepr([1, 'a', [true, { k: null }]])).toBe("(1, 'a', [True, {'k': None}])");
    expect(pyTupleRepr([1])).toBe('(1,)');
  });

  it('stops at three levels, at cycles, and at maxlen', () => {
    expect(pyRepr({ a: { b: { c: { d: 1 } } } })).toBe("{'a': {'b': {'c': {...}}}}");
    const list: unknown[] = [1];
    list.push(list);
    expect(pyRepr(list)).toBe('[1, <Recursion on list>]');
    let deep: unknown[] = [];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(pyRepr(deep)).toBe('[[[[...]]]]'); // Celery 5.2: saferepr([[[[[1]]]]])
    const long = pyRepr(
      Array.from({ length: 100_000 }, (_, i) => i),
      60,
    );
    expect(long).toHaveLength(60);
    expect(long.endsWith('...')).toBe(true);
  });

  it('never throws', () => {
    const hostile = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('no keys');
        },
      },
    );
    expect(pyRepr({ x: hostile })).toBe("{'x': <unrepresentable>}");
  });
});
