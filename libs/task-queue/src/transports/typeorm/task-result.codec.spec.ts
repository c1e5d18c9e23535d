import { describe, expect, it } from 'vitest';
import { fromResultRow, toResultValues } from './task-result.codec.js';
import type { TaskResult } from './task-result.entity.js';

describe('task_result row codec', () => {
  it('keeps NaN and ±Infinity in a result (as Python float tokens), not null', () => {
    const result = { mean: Number.NaN, range: [-Infinity, Infinity] };
    const values = toResultValues(
      {
        task_id: 't1',
        status: 'SUCCESS',
        result,
        traceback: null,
        children: [],
        date_done: null,
      },
      new Date(),
    );
    expect(values.result).toBe('{"mean":NaN,"range":[-Infinity,Infinity]}');
    const row = {
      taskId: 't1',
      status: 'SUCCESS',
      result: values.result,
      traceback: null,
      children: values.children,
      dateDone: null,
      groupId: null,
      parentId: null,
      name: null,
      args: null,
      kwargs: null,
      worker: null,
      retries: null,
      queue: null,
    } as unknown as TaskResult;
    expect(fromResultRow(row).result).toEqual(result);
  });
});
