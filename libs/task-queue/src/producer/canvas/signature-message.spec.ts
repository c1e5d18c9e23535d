import { describe, expect, it } from 'vitest';
import type { SignatureDict } from '../../contracts/task-message.interface.js';
import { signatureMessage } from './signature-message.js';

const sig = (options: Record<string, unknown>): SignatureDict => ({
  task: 'proj.add',
  args: [1],
  kwargs: { y: 2 },
  options,
  subtask_type: null,
  immutable: false,
});

describe('signatureMessage (apply_async options on the wire)', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');

  it('countdown 0 sends no eta, as Celery (`if countdown:`); a negative one an eta in the past', () => {
    expect(signatureMessage(sig({ countdown: 0 }), null, now).spec.eta).toBeNull();
    expect(signatureMessage(sig({ countdown: -5 }), null, now).spec.eta).toEqual(
      new Date(now - 5_000),
    );
  });

  it('maps Celery options to message fields', () => {
    const link = sig({});
    const { spec, queue, priority } = signatureMessage(
      sig({
        task_id: 'tid',
        countdown: 10,
        expires: 60,
        queue: 'q1',
        priority: 3,
        time_limit: 30,
        soft_time_limit: 20,
        group_id: 'g',
        group_index: 2,
        link,
        link_error: [link],
        chain: [],
        chord: link,
        headers: { custom: 'v' },
        shadow: 'alias',
        ignore_result: true,
        reply_to: 'oid',
        retries: 1,
      }),
      { id: 'parent', rootId: 'root' },
      now,
    );
    expect(spec).toMatchObject({
      name: 'proj.add',
      id: 'tid',
      args: [1],
      kwargs: { y: 2 },
      eta: new Date(now + 10_000),
      expires: new Date(now + 60_000),
      timeLimit: 30,
      softTimeLimit: 20,
      group: 'g',
      groupIndex: 2,
      rootId: 'root',
      parentId: 'parent',
      headers: { custom: 'v' },
      shadow: 'alias',
      ignoreResult: true,
      replyTo: 'oid',
      retries: 1,
      embed: { callbacks: [link], errbacks: [link], chain: [], chord: link },
    });
    expect([queue, priority]).toEqual(['q1', 3]);
  });

  it('prefers explicit root/parent ids and ISO eta / expires; empty embed is null', () => {
    const { spec, queue } = signatureMessage(
      sig({
        root_id: 'r',
        parent_id: 'p',
        eta: '2026-01-02T00:00:00',
        expires: '2026-01-03T00:00:00+00:00',
        queue: { name: 'from-dict' },
      }),
      { id: 'x', rootId: 'y' },
      now,
    );
    expect(spec).toMatchObject({
      rootId: 'r',
      parentId: 'p',
      eta: new Date('2026-01-02T00:00:00Z'),
      expires: new Date('2026-01-03T00:00:00Z'),
      embed: { callbacks: null, errbacks: null, chain: null, chord: null },
    });
    expect(queue).toBe('from-dict');
  });
});
