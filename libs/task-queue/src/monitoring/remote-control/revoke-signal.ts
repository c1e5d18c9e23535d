import { constants } from 'node:os';

/**
 * Celery's `signals.signum(signal or 'SIGTERM')` for `revoke(terminate=True, signal=...)`: a
 * signal number, or an upper-case name with or without `SIG` (`'KILL'`, `'SIGUSR1'`). Resolves
 * the signal's name, or an Error saying why the value is not one (the command then answers an
 * error, as Celery's does).
 */
export function revokeSignal(value: unknown): string | Error {
  if (value === undefined || value === null || value === '') return 'SIGTERM';
  const signals = constants.signals as Record<string, number>;
  if (typeof value === 'number') {
    const name = Object.keys(signals).find((key) => signals[key] === value);
    return name ?? new Error(`revoke: no signal number ${value}`);
  }
  if (typeof value !== 'string' || value !== value.toUpperCase()) {
    return new Error(`revoke: signal name must be uppercase string, got ${JSON.stringify(value)}`);
  }
  const name = value.startsWith('SIG') ? value : `SIG${value}`;
  return Object.hasOwn(signals, name) ? name : new Error(`revoke: unknown signal ${value}`);
}
