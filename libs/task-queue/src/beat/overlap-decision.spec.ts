import { describe, expect, it } from 'vitest';
import {
  DEFAULT_OVERLAP_TIMEOUT_S,
  judgePreviousRun,
  overlapMisconfiguration,
  overlapTimeoutSeconds,
} from './overlap-decision.js';

describe('judgePreviousRun', () => {
  const at = (state: string | null, ageMs: number, publishedAt: number | null = 1_000_000) =>
    judgePreviousRun({ state, publishedAt, now: (publishedAt ?? 0) + ageMs, timeoutMs: 60_000 });

  it('a ready state is finished, however recent: SUCCESS, FAILURE, REVOKED', () => {
    for (const state of ['SUCCESS', 'FAILURE', 'REVOKED']) expect(at(state, 1)).toBe('finished');
  });

  it('an unready state is running until the timeout, then timed out', () => {
    for (const state of ['PENDING', 'RECEIVED', 'STARTED', 'RETRY', 'REJECTED', 'PROGRESS']) {
      expect(at(state, 59_999)).toBe('running');
      expect(at(state, 60_000)).toBe('timed-out');
    }
  });

  it('an unreadable state is unknown; an unknown publish instant does not block', () => {
    expect(at(null, 1)).toBe('unknown');
    expect(at('PENDING', 1, null)).toBe('timed-out');
  });
});

describe('overlapTimeoutSeconds', () => {
  it('the schedule option, else the task time limit, else one hour', () => {
    expect(overlapTimeoutSeconds({ overlapTimeout: 30 }, { timeLimit: 600 })).toBe(30);
    expect(overlapTimeoutSeconds({}, { timeLimit: 600 })).toBe(600);
    expect(overlapTimeoutSeconds({}, undefined)).toBe(DEFAULT_OVERLAP_TIMEOUT_S);
    expect(DEFAULT_OVERLAP_TIMEOUT_S).toBe(3600);
  });
});

describe('overlapMisconfiguration', () => {
  const skip = { overlap: 'skip' as const, task: 't' };

  it('refuses skip without a result backend or for a local task that ignores results', () => {
    expect(overlapMisconfiguration(skip, undefined, false)).toMatch(/needs a result backend/);
    expect(overlapMisconfiguration(skip, { ignoreResult: true }, true)).toMatch(/ignoreResult/);
  });

  it('accepts skip with results, an unknown (remote) task, and allow in any case', () => {
    expect(overlapMisconfiguration(skip, { ignoreResult: false }, true)).toBeNull();
    expect(overlapMisconfiguration(skip, undefined, true)).toBeNull();
    expect(overlapMisconfiguration({ task: 't' }, { ignoreResult: true }, false)).toBeNull();
    expect(overlapMisconfiguration({ overlap: 'allow', task: 't' }, undefined, false)).toBeNull();
  });
});
