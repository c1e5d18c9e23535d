import { describe, expect, it } from 'vitest';
import { maxRetriesOf, retryDelaySeconds, shouldAutoretry } from './retry-policy.js';

class Transient extends Error {}
class Permanent extends Transient {}

describe('retry policy', () => {
  it('uses defaultRetryDelay (Celery: 180 s) without backoff', () => {
    expect(retryDelaySeconds({}, 0)).toBe(180);
    expect(retryDelaySeconds({ defaultRetryDelay: 7 }, 4)).toBe(7);
  });

  it('doubles from the base and caps at retryBackoffMax without jitter', () => {
    const options = { retryBackoff: 3, retryBackoffMax: 20, retryJitter: false };
    expect([0, 1, 2, 3, 4].map((r) => retryDelaySeconds(options, r))).toEqual([3, 6, 12, 20, 20]);
  });

  it('keeps jittered delays within [0, capped exponential] for every retry', () => {
    const options = { retryBackoff: true, retryBackoffMax: 600 };
    for (let retries = 0; retries < 15; retries++) {
      const cap = Math.min(600, 2 ** retries);
      for (const r of [0, 0.25, 0.5, 0.999999]) {
        const delay = retryDelaySeconds(options, retries, () => r);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThanOrEqual(cap);
      }
      const samples = Array.from({ length: 200 }, () => retryDelaySeconds(options, retries));
      expect(Math.max(...samples)).toBeLessThanOrEqual(cap);
      expect(Math.min(...samples)).toBeGreaterThanOrEqual(0);
    }
  });

  it('autoretries listed errors unless excluded', () => {
    const options = { autoretryFor: [Transient], dontAutoretryFor: [Permanent] };
    expect(shouldAutoretry(options, new Transient())).toBe(true);
    expect(shouldAutoretry(options, new Permanent())).toBe(false);
    expect(shouldAutoretry(options, new Error())).toBe(false);
    expect(shouldAutoretry({}, new Transient())).toBe(false);
  });

  it('takes max retries from the call, then the task, then Celery’s 3; null is forever', () => {
    expect(maxRetriesOf({})).toBe(3);
    expect(maxRetriesOf({ maxRetries: 10 })).toBe(10);
    expect(maxRetriesOf({ maxRetries: 10 }, 1)).toBe(1);
    expect(maxRetriesOf({ maxRetries: null })).toBeNull();
  });
});
