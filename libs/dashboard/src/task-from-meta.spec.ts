import type { TaskMeta } from 'celeriac';
import { describe, expect, it } from 'vitest';
import { taskFromMeta } from './task-from-meta.js';

/** A stored meta another program wrote: the dashboard shows what it can, never throws. */
describe('taskFromMeta', () => {
  const meta = (over: Partial<TaskMeta> & Record<string, unknown>): TaskMeta =>
    ({
      task_id: 't1',
      status: 'SUCCESS',
      result: 1,
      traceback: null,
      children: [],
      date_done: null,
      ...over,
    }) as TaskMeta;

  it('shows a Python integer beyond 2^53 (a BigInt) by its digits', () => {
    const record = taskFromMeta(
      meta({ result: 123456789012345678901234567890n, args: [2n ** 70n] }),
    );
    expect(record.result).toBe('"123456789012345678901234567890"');
    expect(record.args).toBe('["1180591620717411303424"]');
  });

  it('shows a note for a value nested too deep to write', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 50_000; i++) deep = [deep];
    expect(taskFromMeta(meta({ result: deep })).result).toContain('nested too deep');
  });

  it('a date_done that is not a date is no finish time', () => {
    expect(taskFromMeta(meta({ date_done: 5 as unknown as string })).finished).toBeNull();
    expect(taskFromMeta(meta({ date_done: 'yesterday' })).finished).toBeNull();
  });
});
