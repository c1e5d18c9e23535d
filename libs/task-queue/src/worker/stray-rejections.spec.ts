import { Logger } from '@nestjs/common';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { guardStrayRejections } from './stray-rejections.js';

type Listener = (...args: unknown[]) => void;

describe('guardStrayRejections', () => {
  let saved: Listener[];
  const logger = new Logger('test');
  let errors: unknown[][];

  beforeEach(() => {
    // The test runner's own listener is set aside: the guard installs only when there is none.
    saved = process.listeners('unhandledRejection') as Listener[];
    process.removeAllListeners('unhandledRejection');
    errors = [];
    vi.spyOn(logger, 'error').mockImplementation((...args: unknown[]) => void errors.push(args));
  });

  afterEach(() => {
    vi.useRealTimers();
    process.removeAllListeners('unhandledRejection');
    for (const listener of saved) process.on('unhandledRejection', listener);
  });

  const reject = (reason: unknown): boolean =>
    process.emit('unhandledRejection', reason, Promise.resolve());

  it('logs a rejection with its stack while held, and is gone once every holder released it', () => {
    const first = guardStrayRejections(logger);
    const second = guardStrayRejections(logger);
    expect(process.listenerCount('unhandledRejection')).toBe(1);
    reject(new TypeError('lost'));
    expect(errors).toHaveLength(1);
    expect(errors[0]![0]).toMatch(/^Unhandled promise rejection: TypeError: lost\. /);
    expect(errors[0]![1]).toMatch(/^TypeError: lost\n\s+at /);
    first();
    first();
    expect(process.listenerCount('unhandledRejection')).toBe(1);
    second();
    expect(process.listenerCount('unhandledRejection')).toBe(0);
  });

  it("leaves an application's own listener alone", () => {
    const own = vi.fn();
    process.on('unhandledRejection', own);
    const release = guardStrayRejections(logger);
    expect(process.listeners('unhandledRejection')).toEqual([own]);
    release();
  });

  it('logs at most 10 a minute, then how many it left out', () => {
    vi.useFakeTimers();
    const release = guardStrayRejections(logger);
    for (let i = 0; i < 25; i++) reject(`stray ${i}`);
    expect(errors).toHaveLength(10);
    vi.advanceTimersByTime(60_000);
    reject('later');
    expect(errors.slice(10).map((args) => args[0])).toEqual([
      '15 more unhandled promise rejection(s) in the last minute not logged.',
      expect.stringMatching(/^Unhandled promise rejection: Error: later\. /),
    ]);
    release();
  });
});
