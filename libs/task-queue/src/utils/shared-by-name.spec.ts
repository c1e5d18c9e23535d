import { describe, expect, it, vi } from 'vitest';
import { acquireShared, memoryStoreName, sharedCount } from './shared-by-name.js';

describe('acquireShared', () => {
  it('gives every user of a name the same instance, and disposes it at the last release', () => {
    const kind = `kind-${Math.random()}`;
    const dispose = vi.fn();
    const a = acquireShared(kind, 'x', () => ({ n: 1 }), dispose);
    const b = acquireShared(kind, 'x', () => ({ n: 2 }), dispose);
    expect(b.value).toBe(a.value);
    a.release();
    a.release();
    expect(dispose).not.toHaveBeenCalled();
    expect(sharedCount(kind)).toBe(1);
    b.release();
    expect(dispose).toHaveBeenCalledExactlyOnceWith(a.value);
    expect(sharedCount(kind)).toBe(0);
    const c = acquireShared(kind, 'x', () => ({ n: 3 }), dispose);
    expect(c.value).toEqual({ n: 3 });
    c.release();
  });

  it('makes a private instance without a name, disposed at its release', () => {
    const kind = `kind-${Math.random()}`;
    const dispose = vi.fn();
    const a = acquireShared(kind, undefined, () => ({}), dispose);
    const b = acquireShared(kind, undefined, () => ({}), dispose);
    expect(b.value).not.toBe(a.value);
    expect(sharedCount(kind)).toBe(0);
    a.release();
    expect(dispose).toHaveBeenCalledExactlyOnceWith(a.value);
  });

  it('reads the store name of a memory URL', () => {
    expect(memoryStoreName('memory://app')).toBe('app');
    expect(memoryStoreName('memory://')).toBeUndefined();
  });
});
