import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { SharedCall, withTimeout } from './with-timeout.js';

describe('withTimeout', () => {
  it('resolves with the operation when it is in time', async () => {
    await expect(withTimeout(Promise.resolve(7), 1_000, () => new Error('late'))).resolves.toBe(7);
  });

  it('rejects with the built error when the operation is late', async () => {
    const never = new Promise<number>(() => undefined);
    await expect(withTimeout(never, 5, () => new Error('late'))).rejects.toThrow('late');
  });

  it('reads an answer that arrived while the event loop was held past the deadline', async () => {
    // Redis answers at once; the answer waits in the socket while a synchronous stretch (a
    // CPU-bound handler) holds the loop past the deadline. Timers run before I/O is read.
    const redis = new Redis('redis://127.0.0.1:6379/0');
    try {
      await redis.ping();
      const guarded = withTimeout(redis.ping(), 50, () => new Error('late'));
      const until = Date.now() + 300;
      while (Date.now() < until) {
        // held
      }
      await expect(guarded).resolves.toBe('PONG');
    } finally {
      redis.disconnect();
    }
  });
});

describe('SharedCall', () => {
  it('runs one call at a time and starts a new one once it settled', async () => {
    const shared = new SharedCall<number>();
    let starts = 0;
    let finish!: (value: number) => void;
    const start = () => {
      starts++;
      return new Promise<number>((resolve) => (finish = resolve));
    };
    const first = shared.run(start);
    const second = shared.run(start);
    expect(starts).toBe(1);
    finish(1);
    await expect(Promise.all([first, second])).resolves.toEqual([1, 1]);
    const third = shared.run(start);
    expect(starts).toBe(2);
    finish(2);
    await expect(third).resolves.toBe(2);
  });

  it('starts again after a call failed', async () => {
    const shared = new SharedCall<number>();
    await expect(shared.run(() => Promise.reject(new Error('down')))).rejects.toThrow('down');
    await expect(shared.run(() => Promise.resolve(3))).resolves.toBe(3);
  });
});
