import { describe, expect, it } from 'vitest';
import type { TaskMeta } from '../contracts/result-backend.interface.js';
import { truncatedFailure } from './failure-truncation.js';

function failure(message: unknown, traceback: string | null, args?: unknown[]): TaskMeta {
  const meta: TaskMeta = {
    task_id: 't1',
    status: 'FAILURE',
    result: { exc_type: 'Error', exc_message: [message], exc_module: 'builtins' },
    traceback,
    children: [],
    date_done: null,
    group_id: null,
    parent_id: null,
  };
  if (args) meta.args = args;
  return meta;
}

describe('truncatedFailure', () => {
  it('cuts a long exception message and traceback, saying how much', () => {
    const short = truncatedFailure(failure('m'.repeat(100_000), 't'.repeat(70_000)), 2 ** 27)!;
    const [message] = (short.result as { exc_message: string[] }).exc_message;
    expect(message).toBe(`${'m'.repeat(65_536)}... [truncated 34464 characters]`);
    expect(short.traceback).toBe(`${'t'.repeat(65_536)}... [truncated 4464 characters]`);
  });

  it('keeps at most a quarter of a small limit, and cuts a large non-string argument', () => {
    const short = truncatedFailure(failure({ big: 'b'.repeat(10_000) }, null), 8192)!;
    const [message] = (short.result as { exc_message: string[] }).exc_message;
    expect(message).toMatch(/^\{"big":"b+\.\.\. \[truncated \d+ characters\]$/);
    expect(message.length).toBeLessThan(2100);
  });

  it('drops the arguments when only they are large; undefined when nothing can be cut', () => {
    const withArgs = truncatedFailure(failure('small', 'tb', ['a'.repeat(10)]), 2 ** 27)!;
    expect(withArgs.args).toBeNull();
    expect(withArgs.traceback).toBe('tb');
    expect(truncatedFailure(failure('small', 'tb'), 2 ** 27)).toBeUndefined();
  });
});
