import { describe, expect, it } from 'vitest';
import type { TaskRegistry } from '../tasks/task.registry.js';
import { RateLimiter, ratePerSecond } from './rate-limiter.js';
import { TaskAdmission } from './task-admission.js';

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

describe('a zero rate (Celery: no limit)', () => {
  it('never delays a task whose rateLimit is 0', () => {
    const limiter = new RateLimiter();
    const t0 = 1_000_000;
    expect([0, 1, 2].map(() => limiter.take('z', '0/s', t0))).toEqual([0, 0, 0]);
    expect([0, 1].map(() => limiter.take('n', 0, t0))).toEqual([0, 0]);
  });

  it('does not count a task with zero rates as rate limited', async () => {
    const options = { rateLimit: '0/s', globalRateLimit: '0/m' };
    const registry = { get: () => ({ options }) } as unknown as TaskRegistry;
    const admission = new TaskAdmission(registry, null);
    expect(admission.limited('z')).toBe(false);
    expect([await admission.reserve('z'), await admission.reserve('z')]).toEqual([0, 0]);
  });
});
