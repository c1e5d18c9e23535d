import { describe, expect, it } from 'vitest';
import { UnserializableValueError } from '../errors/unserializable-value.error.js';
import { createTaskMessage } from './task-message.factory.js';

describe('createTaskMessage body', () => {
  it('is [args, kwargs, embed], with NaN and ±Infinity as the tokens Python json writes', () => {
    expect(createTaskMessage({ name: 'add', args: [1, 'a'] }).body).toBe(
      '[[1,"a"],{},{"callbacks":null,"errbacks":null,"chain":null,"chord":null}]',
    );
    expect(
      createTaskMessage({ name: 'add', args: [Number.NaN], kwargs: { y: -Infinity } }).body,
    ).toBe('[[NaN],{"y":-Infinity},{"callbacks":null,"errbacks":null,"chain":null,"chord":null}]');
    const link = {
      task: 'next',
      args: [Infinity],
      kwargs: {},
      options: {},
      subtask_type: null,
      immutable: false,
    };
    expect(createTaskMessage({ name: 'add', embed: { callbacks: [link] } }).body).toContain(
      '"args":[Infinity]',
    );
  });

  it('refuses a Set or a Map in the arguments, naming the task, the type and where', () => {
    expect(() => createTaskMessage({ name: 'tag', args: [{ tags: new Set(['a']) }] })).toThrow(
      new UnserializableValueError(
        'The arguments of tag',
        'a Set has no JSON form (convert it: [...set])',
        'args[0].tags',
      ),
    );
    expect(() => createTaskMessage({ name: 'tag', kwargs: { index: new Map() } })).toThrow(
      /^The arguments of tag is not JSON-serializable: a Map has no JSON form .* at kwargs\.index$/,
    );
  });
});
