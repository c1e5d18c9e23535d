import { describe, expect, it } from 'vitest';
import { UnserializableValueError } from '../errors/unserializable-value.error.js';
import { decodeJson, encodeJson, isPlainJson } from './json-codec.js';
import { encodeTaskMeta } from './task-meta.codec.js';
import type { TaskMeta } from '../contracts/result-backend.interface.js';
import { decodePythonJson } from './python-floats.js';

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

  it("writes NaN and ±Infinity as Python's json does, at the top and nested, and reads them back", () => {
    expect(encodeJson(Number.NaN)).toBe('NaN');
    expect(encodeJson(-Infinity)).toBe('-Infinity');
    const value = { mean: Number.NaN, range: [-Infinity, Infinity], none: null, text: 'null {}' };
    const text = encodeJson(value);
    expect(text).toBe('{"mean":NaN,"range":[-Infinity,Infinity],"none":null,"text":"null {}"}');
    expect(decodePythonJson(text)).toEqual(value);
    // BigInt (the other slow path) keeps them too.
    expect(encodeJson([1n, Number.NaN])).toBe('[1,NaN]');
  });

  it('refuses a Map or a Set (JSON.stringify writes {} and loses them), naming the type and where', () => {
    expect(() => encodeJson({ lookup: new Map([['a', 1]]) }, 'result')).toThrow(
      new UnserializableValueError(
        'result',
        'a Map has no JSON form (convert it: Object.fromEntries(map))',
        '$.lookup',
      ),
    );
    expect(() => encodeJson([1, { tags: new Set() }])).toThrow(
      'value is not JSON-serializable: a Set has no JSON form (convert it: [...set]) at $[1].tags',
    );
    expect(() => encodeJson(new (class Registry extends Map {})())).toThrow(/a Map has no JSON/);
    expect(() => encodeJson(new WeakSet())).toThrow(/a WeakSet has no JSON form at \$$/);
    // A Map that says how to write itself is written so.
    const described = Object.assign(new Map([['a', 1]]), { toJSON: () => ({ a: 1 }) });
    expect(encodeJson(described)).toBe('{"a":1}');
  });

  it('refuses a value whose getter throws, saying where, on the fast path too', () => {
    const hostile = {
      get total(): number {
        throw new Error('not loaded');
      },
    };
    expect(() => encodeJson(hostile, 'result')).toThrow(
      new UnserializableValueError('result', 'reading it threw Error: not loaded', '$.total'),
    );
    expect(() => encodeJson([1, { order: hostile }])).toThrow(
      /threw Error: not loaded at \$\[1\]\.order\.total$/,
    );
    expect(isPlainJson(hostile)).toBe(false);
  });

  it('refuses an Error JSON.stringify would write as {}, and writes one with fields with them', () => {
    expect(() => encodeJson(new TypeError('lost'), 'result')).toThrow(
      new UnserializableValueError(
        'result',
        'an Error has no JSON form (JSON.stringify writes {}): throw it to fail the task, or ' +
          'send its message',
        '$',
      ),
    );
    expect(() => encodeJson({ ok: false, error: new Error('x') })).toThrow(/ at \$\.error$/);
    const coded = Object.assign(new Error('gone'), { code: 'ENOENT' });
    expect(encodeJson({ error: coded })).toBe('{"error":{"code":"ENOENT"}}');
  });

  it('writes a Date as its ISO string, a BigInt exactly and a Buffer as Node describes it', () => {
    expect(encodeJson([new Date(0), 2n ** 64n, Buffer.from('hi')])).toBe(
      '["1970-01-01T00:00:00.000Z",18446744073709551616,{"type":"Buffer","data":[104,105]}]',
    );
  });

  it('takes the fast path only for small plain data; everything else is still checked', () => {
    expect(isPlainJson([1, 'a', { b: [true, null] }])).toBe(true);
    expect(isPlainJson({})).toBe(true);
    for (const value of [
      [1, NaN],
      { a: { b: Infinity } },
      [new Map()],
      { s: new Set([1]) },
      [new Date(0)],
      { a: undefined },
      [1n],
      { f: () => 1 },
      [[[[1]]]],
      Array.from({ length: 33 }, () => 0),
    ]) {
      expect(isPlainJson(value)).toBe(false);
    }
    expect(encodeJson({ a: [1, { b: NaN }] })).toBe('{"a":[1,{"b":NaN}]}');
    expect(() => encodeJson([[[[new Set([1])]]]])).toThrow(UnserializableValueError);
  });

  it("writes a result meta in Python's field order on both paths", () => {
    const meta = {
      status: 'SUCCESS',
      task_id: 't1',
      date_done: '2026-12-06T00:00:00.000000+00:00',
      traceback: null,
      children: [],
      args: [1, 2],
      kwargs: {},
      name: 'interop.add',
    } satisfies Omit<TaskMeta, 'result'>;
    const head = '{"status":"SUCCESS","result":%,"traceback":null,"children":[],';
    const tail =
      '"date_done":"2026-12-06T00:00:00.000000+00:00","task_id":"t1","name":"interop.add","args":[1,2],"kwargs":{}}';
    expect(encodeTaskMeta({ ...meta, result: 3 })).toBe(head.replace('%', '3') + tail);
    expect(encodeTaskMeta({ ...meta, result: [NaN] })).toBe(head.replace('%', '[NaN]') + tail);
    expect(() => encodeTaskMeta({ ...meta, result: new Map() })).toThrow(/Map has no JSON form/);
  });
});
