import { Logger } from '@nestjs/common';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { drainOnCommit } from './commit-hooks.runner.js';
import { configureOnCommit } from './on-commit.config.js';
import { onCommit } from './on-commit.js';

// Django users write `on_commit(lambda: task.delay())` without awaiting anything. Outside a
// transaction the callback runs at once; when it fails, its error is logged, and the promise
// nobody awaits must not crash the process as an unhandled rejection. It used to.

describe('onCommit(fn) outside a transaction, not awaited, fn fails', () => {
  afterEach(() => vi.restoreAllMocks());

  it('logs the error once and leaves no unhandled rejection; an awaiting caller still gets it', async () => {
    const errors: string[] = [];
    vi.spyOn(Logger.prototype, 'error').mockImplementation((line: unknown) => {
      errors.push(String(line));
    });
    vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      let ran!: () => void;
      const called = new Promise<void>((resolve) => (ran = resolve));
      void onCommit(async function sendReceipt() {
        ran();
        throw new Error('broker down');
      });
      await called;
      await drainOnCommit();
      // Unhandled rejections are reported after the microtask queue drains.
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain(
        'Error calling sendReceipt in onCommit() (run at once: no transaction was active)',
      );
      expect(errors[0]).toContain('broker down');

      await expect(onCommit(() => Promise.reject(new Error('awaited')))).rejects.toThrow('awaited');
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('strict mode: the refusal is logged, nothing runs, and no unhandled rejection crashes the process', async () => {
    const errors: string[] = [];
    vi.spyOn(Logger.prototype, 'error').mockImplementation((line: unknown) => {
      errors.push(String(line));
    });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    configureOnCommit({ strict: true });
    try {
      let ran = false;
      void onCommit(function sendReceipt() {
        ran = true;
      });
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
      expect(ran).toBe(false);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/sendReceipt.*strict mode/);

      await expect(onCommit(() => undefined)).rejects.toThrow(/strict mode/);
    } finally {
      configureOnCommit({ strict: false });
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
