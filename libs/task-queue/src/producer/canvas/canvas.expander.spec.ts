import { describe, expect, it } from 'vitest';
import type { SignatureDict } from '../../contracts/task-message.interface.js';
import { expandSignature, type CanvasStep } from './canvas.expander.js';
import { chordSignature, groupSignature } from './signature.js';

const sig = (task: string, args: unknown[] = [], options: Record<string, unknown> = {}) =>
  ({ task, args, kwargs: {}, options, subtask_type: null, immutable: false }) as SignatureDict;

const sends = (steps: CanvasStep[]): SignatureDict[] =>
  steps.flatMap((s) => (s.kind === 'send' ? [s.signature] : []));

describe('expandSignature (Celery canvas apply_async)', () => {
  it('merges a plain signature: args prepended, options overridden, group_id kept', () => {
    const [step] = expandSignature(sig('t', [2], { group_id: 'g', queue: 'q' }), {
      args: [1],
      options: { group_id: 'other', queue: null, parent_id: 'p' },
    });
    expect(step).toEqual({
      kind: 'send',
      signature: sig('t', [1, 2], { group_id: 'g', queue: 'q', parent_id: 'p' }),
    });
  });

  it('keeps the args of an immutable signature', () => {
    const immutable = { ...sig('t', [5]), immutable: true };
    expect(sends(expandSignature(immutable, { args: [1] }))[0]!.args).toEqual([5]);
  });

  it('chain: sends the first step with the rest reversed, link on the last, link_error on all', () => {
    const chain: SignatureDict = {
      ...sig('celery.chain'),
      kwargs: { tasks: [sig('a', [1]), sig('b'), sig('c', [], { task_id: 'c-id' })] },
      subtask_type: 'chain',
    };
    const link = sig('done');
    const onError = sig('oops');
    const [first] = sends(
      expandSignature(chain, { args: [0], options: { link, link_error: onError } }),
    );
    expect(first!.task).toBe('a');
    expect(first!.args).toEqual([0, 1]);
    const rest = first!.options.chain as SignatureDict[];
    expect(rest.map((s) => s.task)).toEqual(['c', 'b']);
    expect(rest[0]!.options).toMatchObject({
      task_id: 'c-id',
      link: [link],
      link_error: [onError],
    });
    expect(rest[1]!.options.task_id).toEqual(expect.any(String));
    expect(first!.options.link).toBeUndefined();
    expect(first!.options.link_error).toEqual([onError]);
  });

  it('chain: a group followed by a task becomes a chord', () => {
    const chain: SignatureDict = {
      ...sig('celery.chain'),
      kwargs: { tasks: [sig('a'), groupSignature([sig('b'), sig('c')]), sig('sum')] },
      subtask_type: 'chain',
    };
    const [first] = sends(expandSignature(chain));
    const [chord] = first!.options.chain as SignatureDict[];
    expect(chord!.subtask_type).toBe('chord');
    expect((chord!.kwargs.body as SignatureDict).task).toBe('sum');
  });

  it('group: every member gets the group id and the partial args', () => {
    const group = { ...groupSignature([sig('a'), groupSignature([sig('b')])]) };
    group.options = { task_id: 'gid' };
    const members = sends(expandSignature(group, { args: [7] }));
    expect(members.map((m) => [m.task, m.args, m.options.group_id])).toEqual([
      ['a', [7], 'gid'],
      ['b', [7], 'gid'],
    ]);
  });

  it('chord: size before the last header task, header joined to the frozen body', () => {
    const chord = chordSignature([sig('a'), sig('b')], sig('sum', [], { task_id: 'body' }));
    const steps = expandSignature(chord, { args: [1], options: { chain: [sig('next')] } });
    expect(steps.map((s) => s.kind)).toEqual(['send', 'chord-size', 'send']);
    const size = steps[1] as Extract<CanvasStep, { kind: 'chord-size' }>;
    expect(size.size).toBe(2);
    const [a, b] = sends(steps);
    expect(a!.args).toEqual([1]);
    expect(a!.options).toMatchObject({ group_id: size.groupId, group_index: 0 });
    expect(b!.options.group_index).toBe(1);
    const body = a!.options.chord as SignatureDict;
    expect(body.options.task_id).toBe('body');
    // The chain rides on the body, never on the header tasks.
    expect((body.options.chain as SignatureDict[])[0]!.task).toBe('next');
    expect(a!.options.chain).toBeUndefined();
  });

  it('chord with an empty header sends the body with [[]]', () => {
    const [body] = sends(expandSignature(chordSignature([], sig('sum'))));
    expect(body!.args).toEqual([[]]);
  });
});
