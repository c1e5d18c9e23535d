import { describe, expect, it } from 'vitest';
import { hasLongDigitRun } from './digit-run.js';

describe('hasLongDigitRun (the trigger of lossless JSON decoding)', () => {
  it('finds 16 digits in a row anywhere, and nothing shorter', () => {
    expect(hasLongDigitRun('1180591620717411303424')).toBe(true);
    expect(hasLongDigitRun('[[9007199254740993],{},{}]')).toBe(true);
    expect(hasLongDigitRun('[[900719925474099],{},{}]')).toBe(false);
    expect(hasLongDigitRun('')).toBe(false);
    expect(hasLongDigitRun('1234567890123456')).toBe(true);
    expect(hasLongDigitRun('123456789012345')).toBe(false);
  });

  it('agrees with /\\d{16}/ on random texts of digits and separators', () => {
    let seed = 42;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let n = 0; n < 20_000; n++) {
      const length = Math.floor(next() * 80);
      let text = '';
      // Mostly digits, so runs of every length around 16 and every offset occur.
      for (let i = 0; i < length; i++)
        text += next() < 0.93 ? String(Math.floor(next() * 10)) : ',';
      expect(hasLongDigitRun(text), text).toBe(/\d{16}/.test(text));
    }
  });
});
