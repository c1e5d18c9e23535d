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
    expect(pyRepr(hostile)).toBe('<unrepresentable>');
    const { proxy, revoke } = Proxy.revocable([], {});
    revoke();
    expect(pyRepr(proxy)).toBe('<unrepresentable>');
  });

  it('writes scalars and scalar tuples directly as the general writer does', () => {
    const scalars = [0, -0, 7, -12, 0.1, 1e21, 5e-7, NaN, Infinity, -Infinity, true, false, null];
    const tuples: unknown[][] = [[], [1], [1, 2], [null, true, 0.5], [undefined], scalars];
    for (const value of [...scalars, undefined]) {
      // Inside a list, the general writer writes the same value.
      expect(pyRepr(value)).toBe(pyRepr([value, []]).slice(1, -5));
    }
    expect(pyRepr([])).toBe('[]');
    expect(pyRepr({})).toBe('{}');
    expect(pyRepr(new Date(0))).toBe("'1970-01-01T00:00:00.000Z'");
    for (const args of tuples) {
      const general = pyTupleRepr([...args, []]);
      const expected = `${general.slice(0, -5)}${args.length === 1 ? ',)' : ')'}`;
      expect(pyTupleRepr(args)).toBe(args.length === 0 ? '()' : expected);
    }
    expect(pyTupleRepr([1, 2, 3], 5)).toBe(pyTupleRepr([1, 2, 3, []], 5));
  });
});
