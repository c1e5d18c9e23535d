import { describe, expect, it } from 'vitest';
import { splitFetchReply } from './redis-broker.scripts.js';

describe('splitFetchReply', () => {
  it('reads no entries from an empty reply', () => {
    expect(splitFetchReply([])).toEqual([]);
  });

  it('pairs each pair index and tag of the head with the envelope at the same position', () => {
    const envelope = '{"body":"w6k=","headers":{"argsrepr":"(\'crème brûlée ☕\',)"}}';
    expect(splitFetchReply(['1\0tag-a\x0012\0\0', envelope, 'not json'])).toEqual([
      { pairIndex: 0, tag: 'tag-a', envelope, notAList: false },
      { pairIndex: 11, tag: '', envelope: 'not json', notAList: false },
    ]);
  });

  it('reads a negative pair index as a list key of another type, its type in place of an envelope', () => {
    expect(splitFetchReply(['-2\0\0', 'string'])).toEqual([
      { pairIndex: 1, tag: '', envelope: 'string', notAList: true },
    ]);
  });

  it('rejects a head with fewer entries than envelopes instead of inventing one', () => {
    expect(() => splitFetchReply(['1\0tag\0', '{"body"', '{"body"'])).toThrow(
      /Malformed fetch reply/,
    );
  });

  it('rejects a head with more entries than envelopes', () => {
    expect(() => splitFetchReply(['1\0tag\x002\0tag-b\0', '{"body"'])).toThrow(
      /Malformed fetch reply/,
    );
  });
});
