import { describe, expect, it } from 'vitest';
import { Retry } from '../errors/task-signals.js';
import { retryReason } from './retry-reason.js';

class KeyError extends Error {
  override name = 'KeyError';
}

describe('retryReason (Celery 5.2 Retry.__str__)', () => {
  it('says the countdown as Python does', () => {
    expect(retryReason(600, new Retry({ countdown: 600 }))).toBe('Retry in 600s');
    expect(retryReason(2.5, new Retry())).toBe('Retry in 2.5s');
  });

  it("says the eta as Python's str(datetime), with microseconds only when there are some", () => {
    const retry = new Retry();
    expect(retryReason(new Date('2030-01-02T03:04:05.123Z'), retry)).toBe(
      'Retry at 2030-01-02 03:04:05.123000+00:00',
    );
    expect(retryReason(new Date('2030-01-02T03:04:05Z'), retry)).toBe(
      'Retry at 2030-01-02 03:04:05+00:00',
    );
  });

  it('adds the repr of the cause, as Celery adds safe_repr(exc)', () => {
    expect(retryReason(600, new KeyError('again'))).toBe("Retry in 600s: KeyError('again')");
  });
});
