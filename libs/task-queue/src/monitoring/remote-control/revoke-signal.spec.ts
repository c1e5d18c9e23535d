import { describe, expect, it } from 'vitest';
import { revokeSignal } from './revoke-signal.js';

describe("revoke's signal, read as Celery's signals.signum", () => {
  it.each([
    [undefined, 'SIGTERM'],
    ['KILL', 'SIGKILL'],
    ['SIGUSR1', 'SIGUSR1'],
    [9, 'SIGKILL'],
  ])('%j is %s', (value, name) => {
    expect(revokeSignal(value)).toBe(name);
  });

  it.each(['usr1', 'SIGNOPE', 12345, true])('%j is refused with the reason', (value) => {
    expect(revokeSignal(value)).toBeInstanceOf(Error);
  });
});
