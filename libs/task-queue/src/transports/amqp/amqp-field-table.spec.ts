import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { typeAmqpTableInPlace, typedAmqpTable } from './amqp-field-table.js';

// amqplib's own table codec (not exported by its package map): read from its install folder.
const require = createRequire(import.meta.url);
const codec = require(join(require.resolve('amqplib'), '..', 'lib', 'codec.js')) as {
  encodeTable(buffer: Buffer, table: unknown, offset: number): number;
  decodeFields(buffer: Buffer): Record<string, unknown>;
};

/** The field-type tag amqplib writes for the single value of `{ v: value }`. */
function tagOf(value: unknown): string {
  const buffer = Buffer.alloc(256);
  codec.encodeTable(buffer, typedAmqpTable({ v: value }), 0);
  // 4 bytes table size, 1 byte key length, key "v", then the tag.
  return String.fromCharCode(buffer[6]);
}

function roundTrip(table: Record<string, unknown>): Record<string, unknown> {
  const buffer = Buffer.alloc(1024);
  const size = codec.encodeTable(buffer, typedAmqpTable(table), 0);
  return codec.decodeFields(buffer.subarray(4, size));
}

describe('AMQP field-table integer typing (py-amqp compatible)', () => {
  it('sends every integer as a signed 32-bit I, or as a 64-bit l beyond it', () => {
    for (const n of [0, 1, 127, 128, 300, 600, 32767, 32768, 70000, -1, -129, -40000, 2 ** 31 - 1])
      expect(tagOf(n), String(n)).toBe('I');
    for (const n of [2 ** 31, 2 ** 40, Number.MAX_SAFE_INTEGER])
      expect(tagOf(n), String(n)).toBe('l');
    expect(tagOf(-(2 ** 40))).toBe('d');
    expect(tagOf(1.5)).toBe('d');
    expect(tagOf('300')).toBe('S');
    expect(tagOf(true)).toBe('t');
  });

  it('types integers inside arrays and nested tables, keeping their values', () => {
    const table = {
      timelimit: [300, null],
      nested: { clock: 40000, list: [1, [2 ** 31]], text: 'x' },
      retries: 0,
      big: 2 ** 40,
    };
    expect(roundTrip(table)).toEqual(table);
    const buffer = Buffer.alloc(1024);
    codec.encodeTable(buffer, typedAmqpTable(table), 0);
    // No short ('s') or byte ('b') field anywhere: py-amqp misreads both.
    const typed = JSON.stringify(typedAmqpTable(table));
    expect(typed).not.toMatch(/"!":"(short|byte)"/);
  });

  it('copies on write: the given table and its arrays are never changed', () => {
    const limits = [300, null];
    const table = { timelimit: limits, id: 'x' };
    const typed = typedAmqpTable(table);
    expect(typed).not.toBe(table);
    expect(table.timelimit).toBe(limits);
    expect(limits).toEqual([300, null]);
    const plain = { id: 'x', list: ['a'], nothing: null };
    expect(typedAmqpTable(plain)).toBe(plain);
    expect(typedAmqpTable(plain).list).toBe(plain.list);
  });

  it('types an owned table in place, idempotently', () => {
    const table: Record<string, unknown> = { retries: 3, timelimit: [600, 300] };
    typeAmqpTableInPlace(table);
    const once = JSON.stringify(table);
    typeAmqpTableInPlace(table);
    expect(JSON.stringify(table)).toBe(once);
    expect(table.retries).toEqual({ '!': 'int', value: 3 });
  });
});
