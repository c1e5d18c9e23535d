import { describe, expect, it } from 'vitest';
import { base64ToUtf8, utf8ToBase64 } from './base64-text.js';

const samples = [
  '',
  'a',
  '[[2, 3], {}, {"callbacks": null}]',
  'zürich ☃ 日本語 🎉 \u0000 end',
  'x'.repeat(30_000), // beyond the scratch buffer when encoding (30,000 × 3 bytes)
  '€'.repeat(20_000), // 60,000 bytes: fits the scratch buffer when encoding
  '🎉'.repeat(40_000), // 160,000 bytes: the one-off path both ways
];

describe('base64 text', () => {
  it.each(samples.map((text) => [text.slice(0, 12), text]))(
    'matches Buffer both ways: %j',
    (_label, text) => {
      const encoded = utf8ToBase64(text);
      expect(encoded).toBe(Buffer.from(text, 'utf8').toString('base64'));
      expect(base64ToUtf8(encoded)).toBe(text);
    },
  );

  it('decodes one value after another without mixing them up', () => {
    const long = base64ToUtf8(utf8ToBase64('long '.repeat(1000)));
    expect(base64ToUtf8(utf8ToBase64('short'))).toBe('short');
    expect(long).toBe('long '.repeat(1000));
  });

  it('is as lenient as Buffer with unpadded, URL-safe, spaced and invalid input', () => {
    for (const input of ['aGk', 'aGk=', 'a G k =', 'P_8-', '!!aGk!!', '====']) {
      expect(base64ToUtf8(input)).toBe(Buffer.from(input, 'base64').toString('utf8'));
    }
  });
});
