import { newTaskRecord } from 'celeriac';
import { describe, expect, it } from 'vitest';
import { taskDetail } from './task-detail.js';

describe('taskDetail', () => {
  const record = (over: Partial<ReturnType<typeof newTaskRecord>>) => ({
    ...newTaskRecord('t1', 0),
    ...over,
  });

  it('leaves short fields whole and reports nothing cut', () => {
    const detail = taskDetail(record({ result: '"ok"', args: '[1]' }), 10);
    expect(detail).toMatchObject({ result: '"ok"', args: '[1]', truncated: {} });
  });

  it('cuts long fields and gives their full size in UTF-8 bytes', () => {
    const detail = taskDetail(record({ result: 'é'.repeat(20), traceback: 'x'.repeat(11) }), 10);
    expect(detail.result).toBe('é'.repeat(10));
    expect(detail.traceback).toBe('x'.repeat(10));
    expect(detail.truncated).toEqual({ result: 40, traceback: 11 });
  });

  it('never splits a surrogate pair', () => {
    const detail = taskDetail(record({ result: `${'a'.repeat(9)}😀😀` }), 10);
    expect(detail.result).toBe('a'.repeat(9));
    expect(detail.truncated.result).toBe(9 + 8);
  });
});
