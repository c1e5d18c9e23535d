import { describe, expect, it } from 'vitest';
import { UnserializableValueError } from '../errors/unserializable-value.error.js';
import { decodeJson, encodeJson } from './json-codec.js';

describe('JSON codec', () => {
  it('reads integers beyond 2^53 exactly as BigInt, and keeps safe ones as numbers', () => {
    expect(
      decodeJson('[18446744073709551617, 9007199254740991, 1.5, -12345678901234567890]'),
    ).toEqual([18446744073709551617n, 9007199254740991, 1.5, -12345678901234567890n]);
  });

  it('writes BigInt as an exact JSON integer', () => {
    expect(encodeJson({ n: 2n ** 64n + 2n, d: new Date(0) })).toBe(
      '{"n":18446744073709551618,"d":"1970-01-01T00:00:00.000Z"}',
    );
  });

  it('revives tagged values on the lossless path too', () => {
    const text = '[{"__type__": "bytes", "__value__": "ab"}, 12345678901234567890]';
    expect(decodeJson(text)).toEqual([Buffer.from('ab'), 12345678901234567890n]);
  });

  it('says where a cycle or too deep a nesting is, and what has no JSON form', () => {
    const node: Record<string, unknown> = { list: [1n] };
    (node.list as unknown[]).push({ back: node });
    expect(() => encodeJson(node, 'result')).toThrow(
      new UnserializableValueError('result', 'circular structure', '$.list[1].back'),
    );
    let deep: unknown[] = [];
    for (let i = 0; i < 5_000; i++) deep = [deep];
    expect(() => encodeJson(deep)).toThrow(/nested deeper than 1000 levels/);
    const error = (() => {
      try {
        encodeJson(deep);
      } catch (e) {
        return e as UnserializableValueError;
      }
    })()!;
    expect(error.message.length).toBeLessThan(200); // a log line, not 1000 path segments
    expect(error.path.length).toBeGreaterThan(1000);
    expect(() => encodeJson(undefined, 'result')).toThrow(
      'result is not JSON-serializable: undefined has no JSON form at $',
    );
  });
});
