import { describe, expect, it } from 'vitest';
import { InvalidMessageError } from '../errors/invalid-message.error.js';
import { createTaskMessage } from './task-message.factory.js';
import { parseTaskMessage } from './task-message.parser.js';
import { parseEmbed } from './message-embed.js';

const SIG = { task: 'next.step', args: [1], kwargs: {}, options: {}, subtask_type: null };

function parseWithEmbed(embed: unknown): () => unknown {
  const message = createTaskMessage({ name: 'parse.embed', args: [] });
  message.body = JSON.stringify([[], {}, embed]);
  return () => parseTaskMessage(message);
}

describe('the canvas fields of a message (embed)', () => {
  it('reads null fields, signature lists, one signature, and no embed at all', () => {
    for (const embed of [
      null,
      [],
      {},
      { callbacks: null, errbacks: null, chain: null, chord: null },
      { callbacks: [SIG], errbacks: [SIG, { task: 'other' }], chain: [SIG], chord: SIG },
      { chain: SIG },
      { callbacks: [{ ...SIG, args: null, kwargs: null, options: null }] },
    ]) {
      expect(parseWithEmbed(embed)).not.toThrow();
    }
  });

  it.each([
    ['callbacks', 'nope', 'embed.callbacks', 'not an object'],
    ['callbacks', [{ task: 5 }], 'embed.callbacks[0]', 'no "task" name'],
    ['errbacks', [SIG, 17], 'embed.errbacks[1]', 'not an object'],
    ['chain', [{ foo: 1 }], 'embed.chain[0]', 'no "task" name'],
    ['chain', [null], 'embed.chain[0]', 'not an object'],
    ['chain', [{ ...SIG, args: 'x' }], 'embed.chain[0]', '"args" is not a list'],
    ['callbacks', [{ ...SIG, kwargs: [] }], 'embed.callbacks[0]', '"kwargs" is not an object'],
    ['chord', 'x', 'embed.chord', 'not an object'],
    ['chord', [SIG], 'embed.chord', 'not an object'],
  ])('refuses %s %j before the task runs, naming the field', (field, value, path, problem) => {
    const parse = parseWithEmbed({
      callbacks: null,
      errbacks: null,
      chain: null,
      chord: null,
      [field]: value,
    });
    expect(parse).toThrow(InvalidMessageError);
    expect(parse).toThrow(`${path} is not a task signature (${problem})`);
    expect(parse).toThrow(/The task was not run.*fix the producer that built it, then redrive/);
  });

  it('checks the callbacks of a protocol 1 body too', () => {
    const message = createTaskMessage({ name: 'parse.embed', args: [] });
    message.headers = {} as typeof message.headers;
    message.body = JSON.stringify({ task: 'parse.embed', id: 'v1-id', args: [], callbacks: [3] });
    expect(() => parseTaskMessage(message)).toThrow('Task v1-id: body.callbacks[0] is not a task');
  });
});

describe('a refused canvas field holding a big integer', () => {
  it('is named in the error, not a TypeError of JSON.stringify', () => {
    expect(() => parseEmbed({ callbacks: [2n ** 70n] }, 'id-1')).toThrow(
      /embed\.callbacks\[0\] is not a task signature \(not an object\), got 1180591620717411303424\b/,
    );
  });
});
