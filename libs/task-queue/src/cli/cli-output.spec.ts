import { describe, expect, it } from 'vitest';
import { UnserializableValueError } from '../errors/unserializable-value.error.js';
import { toJsonLine } from './cli-output.js';

describe('toJsonLine', () => {
  it('writes BigInts by their digits', () => {
    expect(toJsonLine({ result: 2n ** 70n })).toBe('{"result":"1180591620717411303424"}');
  });

  it('a value nested too deep (another program stored it) is a clear library error', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 50_000; i++) deep = [deep];
    expect(() => toJsonLine({ result: deep })).toThrow(UnserializableValueError);
    expect(() => toJsonLine({ result: deep })).toThrow(/nested too deep to print/);
  });
});
