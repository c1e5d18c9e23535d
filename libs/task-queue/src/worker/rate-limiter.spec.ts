import { describe, expect, it } from 'vitest';
import { RateLimiter, ratePerSecond } from './rate-limiter.js';

describe('RateLimiter', () => {
  it('parses Celery rate strings', () => {
    expect(ratePerSecond('100/s')).toBe(100);
    expect(ratePerSecond('60/m')).toBe(1);
    expect(ratePerSecond('3600/h')).toBe(1);
    expect(ratePerSecond(5)).toBe(5);
  });

  it('spaces starts of one task type by 1/rate and leaves others alone', () => {
    const limiter = new RateLimiter();
    const t0 = 1_000_000;
    expect([0, 1, 2, 3].map(() => limiter.take('a', '10/s', t0))).toEqual([0, 100, 200, 300]);
    expect(limiter.take('b', '10/s', t0)).toBe(0);
    expect(limiter.take('c', undefined, t0)).toBe(0);
    expect(limiter.take('a', '10/s', t0 + 1000)).toBe(0);
  });
});
