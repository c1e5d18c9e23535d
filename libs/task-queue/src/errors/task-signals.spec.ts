import { describe, expect, it } from 'vitest';
import { TaskQueueError } from './task-queue.error.js';
import { Ignore, Reject, Retry, TaskSignal, UnrecoverableError } from './task-signals.js';

describe('TaskSignal', () => {
  it('is the base of every control-flow signal, which keep their own names and are no failures', () => {
    const signals = [new Retry(), new Reject('bad'), new Ignore(), new UnrecoverableError('x')];
    expect(signals.map((signal) => signal.name)).toEqual([
      'Retry',
      'Reject',
      'Ignore',
      'UnrecoverableError',
    ]);
    for (const signal of signals) {
      expect(signal).toBeInstanceOf(TaskSignal);
      expect(signal).toBeInstanceOf(Error);
      expect(signal).not.toBeInstanceOf(TaskQueueError);
    }
    expect(new Error('plain')).not.toBeInstanceOf(TaskSignal);
  });
});
