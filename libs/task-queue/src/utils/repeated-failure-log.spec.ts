import { describe, expect, it } from 'vitest';
import { RepeatedFailureLog } from './repeated-failure-log.js';

describe('RepeatedFailureLog', () => {
  it('logs the first failure, a reminder a minute, and the recovery once', () => {
    const lines: string[] = [];
    const log = new RepeatedFailureLog(
      (line) => lines.push(`fail: ${line}`),
      (line) => lines.push(`ok: ${line}`),
    );
    log.succeeded('back', 0);
    for (let t = 0; t <= 90_000; t += 1_000) log.failed('store down', t);
    log.succeeded('store back', 95_000);
    log.succeeded('store back', 96_000);
    log.failed('store down again', 100_000);
    expect(lines).toEqual([
      'fail: store down',
      'fail: store down (still failing after 60.0 s, 61 attempts)',
      'ok: store back after 95.0 s (91 failed attempts).',
      'fail: store down again',
    ]);
  });
});
