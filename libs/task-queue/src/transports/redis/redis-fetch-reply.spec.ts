import { describe, expect, it } from 'vitest';
import { splitFetchReply } from './redis-broker.scripts.js';

const reply = (...fields: string[]): Buffer => Buffer.from(fields.map((f) => `${f}\0`).join(''));

describe('splitFetchReply', () => {
  it('reads no entries from an empty reply', () => {
    expect(splitFetchReply(Buffer.alloc(0))).toEqual([]);
  });

  it('reads pair index, tag and envelope of each entry, decoding UTF-8 per field', () => {
    const envelope = '{"body":"w6k=","headers":{"argsrepr":"(\'crème brûlée ☕\',)"}}';
    expect(splitFetchReply(reply('1', 'tag-a', envelope, '12', '', 'not json'))).toEqual([
      { pairIndex: 0, tag: 'tag-a', envelope },
      { pairIndex: 11, tag: '', envelope: 'not json' },
    ]);
  });

  it('rejects a truncated reply instead of inventing an entry', () => {
    expect(() => splitFetchReply(Buffer.from('1\0tag\0{"body"'))).toThrow(/Malformed fetch reply/);
  });
});
