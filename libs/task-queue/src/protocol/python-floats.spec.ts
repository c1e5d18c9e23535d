import { describe, expect, it } from 'vitest';
import { decodePythonJson } from './python-floats.js';

describe('decodePythonJson', () => {
  it('reads the NaN / Infinity / -Infinity tokens Python writes, in arrays and objects', () => {
    expect(decodePythonJson('[[NaN, Infinity], {"x": -Infinity}, {}]')).toEqual([
      [NaN, Infinity],
      { x: -Infinity },
      {},
    ]);
  });

  it('leaves the same words inside strings alone', () => {
    expect(decodePythonJson('["NaN", "a \\"Infinity\\"", NaN]')).toEqual([
      'NaN',
      'a "Infinity"',
      NaN,
    ]);
  });

  it('keeps big integers exact next to a float token', () => {
    expect(decodePythonJson('[12345678901234567890, Infinity]')).toEqual([
      12345678901234567890n,
      Infinity,
    ]);
  });

  it('still rejects text that is not JSON', () => {
    expect(() => decodePythonJson('{not json')).toThrow(/not valid JSON/);
    expect(() => decodePythonJson('[NaN, nope]')).toThrow(/not valid JSON: .*"\[NaN, nope\]"/);
  });
});
