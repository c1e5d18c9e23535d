import type { Logger } from '@nestjs/common';
import { describe, expect, it, vi } from 'vitest';
import type { TaskRequest } from '../protocol/task-request.js';
import type { RunningTask } from '../tasks/task-context.storage.js';
import { afterCommitWork } from './after-commit-work.js';

const request = { id: 't1', name: 'orders.process', queue: 'q', headers: {} } as TaskRequest;

function runningWith(work: Promise<void>[]): RunningTask {
  return { request, onCommitWork: work } as unknown as RunningTask;
}

describe('afterCommitWork', () => {
  it('waits for the callbacks, and for those they schedule meanwhile', async () => {
    const order: string[] = [];
    const work: Promise<void>[] = [];
    let release!: () => void;
    const later = new Promise<void>((resolve) => (release = resolve)).then(() => {
      order.push('scheduled by the first');
    });
    work.push(
      Promise.resolve().then(() => {
        work.push(later);
        order.push('first');
        setImmediate(release);
      }),
    );
    await afterCommitWork(runningWith(work), undefined, performance.now(), {} as Logger);
    expect(order).toEqual(['first', 'scheduled by the first']);
  });

  it('stops waiting at the hard time limit and says whose callbacks are late', async () => {
    const warn = vi.fn();
    const never = new Promise<void>(() => undefined);
    await afterCommitWork(runningWith([never]), 0.02, performance.now(), { warn } as never);
    expect(warn).toHaveBeenCalledOnce();
    expect(warn.mock.calls[0]![0]).toContain('orders.process[t1]');
    expect(warn.mock.calls[0]![0]).toContain('time limit (0.02 s)');
  });

  it('does not warn when the callbacks finish within the limit', async () => {
    const warn = vi.fn();
    await afterCommitWork(runningWith([Promise.resolve()]), 5, performance.now(), {
      warn,
    } as never);
    expect(warn).not.toHaveBeenCalled();
  });
});
