import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { inspectRepr } from './inspect-repr.js';

const options = { depth: 3, breakLength: Infinity, compact: true } as const;

/** A pseudo-random value of the kinds task arguments take (seeded: the run is repeatable). */
function randomValue(next: () => number, level: number): unknown {
  const pick = Math.floor(next() * (level > 3 ? 7 : 10));
  const text = ['', 'a', "it's", 'x"y', 'tab\there', 'ünï', 'a\\b', '0', 'plain text 42'];
  switch (pick) {
    case 0:
      return Math.floor(next() * 2000) - 1000;
    case 1:
      return [0.1, -0, 1e21, 5e-7, 2 ** 53, -1.5][Math.floor(next() * 6)];
    case 2:
      return text[Math.floor(next() * text.length)];
    case 3:
      return next() < 0.5;
    case 4:
      return null;
    case 5:
      return undefined;
    case 6:
      return ['id', 'a-b', '_x', '1st'][Math.floor(next() * 4)];
    case 7:
    case 8:
      return Array.from({ length: Math.floor(next() * 4) }, () => randomValue(next, level + 1));
    default: {
      const keys = ['x', 'y', 'a-b', "it's", '_k', '2'];
      const out: Record<string, unknown> = {};
      for (let i = Math.floor(next() * 4); i > 0; i--) {
        out[keys[Math.floor(next() * keys.length)]!] = randomValue(next, level + 1);
      }
      return out;
    }
  }
}

describe('inspectRepr (argsrepr / kwargsrepr)', () => {
  it('writes what util.inspect writes, for every kind of argument', () => {
    let seed = 42;
    const next = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 5000; i++) {
      const args = Array.from({ length: Math.floor(next() * 5) }, () => randomValue(next, 1));
      expect(inspectRepr(args)).toBe(inspect(args, options));
      const kwargs = randomValue(next, 0);
      expect(inspectRepr(kwargs)).toBe(inspect(kwargs, options));
    }
  });

  it('leaves what only inspect writes to it', () => {
    const sparse: unknown[] = [1];
    sparse[3] = 2;
    const tagged = Object.assign([1, 2], { extra: true });
    const getter = Object.defineProperty({}, 'g', { get: () => 1, enumerable: true });
    const cases: unknown[] = [
      [sparse],
      [tagged],
      [getter],
      [new Date(0)],
      [10n],
      [Object.create(null)],
      [{ [Symbol('s')]: 1 }],
      [[[[[1]]]]],
      [Array.from({ length: 150 }, (_, i) => i)],
      ['x'.repeat(2000)],
      [() => 1],
      [new Map([[1, 2]])],
    ];
    for (const value of cases) expect(inspectRepr(value)).toBe(inspect(value, options));
  });
});
