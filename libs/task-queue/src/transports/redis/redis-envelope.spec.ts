import { describe, expect, it } from 'vitest';
import { unreadable } from './redis-envelope.js';

/** The log names why fetch-2.lua could not take an entry, and which message it was. */
describe('unreadable()', () => {
  it('says what is wrong with an entry that is no envelope', () => {
    expect(unreadable('not json', 'q')).toBe(
      'an entry that cannot be read (not a kombu envelope (invalid JSON))',
    );
    expect(unreadable('{"headers": {"id": "abc"}, "properties": "x"}', 'q')).toBe(
      'message abc that cannot be read (not a kombu envelope (no properties object))',
    );
  });

  it('names what only Lua refuses: deep nesting', () => {
    const deep = `${'{"a":'.repeat(1500)}1${'}'.repeat(1500)}`;
    const entry = `{"body": "", "headers": {"id": "abc", "x": ${deep}}, "properties": {}}`;
    expect(unreadable(entry, 'q')).toMatch(/^message abc that .*nested deeper than 1000 levels/);
  });
});
