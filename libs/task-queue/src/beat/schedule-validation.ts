import type { CatchUpPolicy, ScheduleDefinition } from '../contracts/schedule-store.interface.js';
import { ConfigurationError } from '../errors/configuration.error.js';
import { toStoredSpec } from './schedule-spec.js';

const POLICIES = ['all', 'once', 'skip'];

/**
 * Throw a {@link ConfigurationError} naming `where` when a definition could never fire as
 * meant: a spec that never fires, a NaN or negative number, an instant that is not a date.
 * Run on every write (`@Periodic` at boot, `Schedules.add()` and `update()`), so nothing
 * invalid reaches the store: a bad value is refused there, not stored to fire never.
 */
export function assertValidDefinition(definition: ScheduleDefinition, where: string): void {
  const fail = (message: string): never => {
    throw new ConfigurationError(`${where}: ${message}`);
  };
  if (!definition.name) fail('a schedule needs a name.');
  if (!definition.task || typeof definition.task !== 'string') {
    fail('a schedule needs a task name.');
  }
  toStoredSpec(definition.schedule, where);
  if (!Array.isArray(definition.args)) fail('args must be an array.');
  if (!isPlainObject(definition.kwargs)) fail('kwargs must be an object.');
  if (
    definition.queue !== undefined &&
    !(typeof definition.queue === 'string' && definition.queue)
  ) {
    fail('queue must be a non-empty string.');
  }
  const { exchange, routingKey } = definition;
  for (const [label, value] of [
    ['exchange', exchange],
    ['routingKey', routingKey],
  ] as const) {
    if (value !== undefined && !(typeof value === 'string' && value)) {
      fail(`${label} must be a non-empty string.`);
    }
  }
  if ((exchange === undefined) !== (routingKey === undefined)) {
    fail('exchange and routingKey go together (Celery ignores one without the other).');
  }
  const { priority, expires, jitter, catchUp, overlapTimeout, maxRuns, startAt, endAt } =
    definition;
  if (priority !== undefined && !(Number.isInteger(priority) && priority >= 0 && priority <= 9)) {
    fail(`priority must be an integer from 0 to 9 (as for @Task), got ${String(priority)}.`);
  }
  if (expires !== undefined && !(finite(expires) && expires > 0)) {
    fail(`expires must be a number of seconds above 0, got ${String(expires)}.`);
  }
  if (jitter !== undefined && !(finite(jitter) && jitter >= 0)) {
    fail(`jitter must be a number of ms, 0 or more, got ${String(jitter)}.`);
  }
  if (catchUp !== undefined) assertValidCatchUp(catchUp, where);
  if (overlapTimeout !== undefined && !(finite(overlapTimeout) && overlapTimeout > 0)) {
    fail('overlapTimeout must be a number of seconds above 0.');
  }
  if (maxRuns !== undefined && !(finite(maxRuns) && maxRuns >= 1)) {
    fail('maxRuns must be at least 1.');
  }
  if (startAt !== undefined && !finite(startAt)) fail('startAt is not a valid date.');
  if (endAt !== undefined && !finite(endAt)) fail('endAt is not a valid date.');
  if (startAt !== undefined && endAt !== undefined && endAt < startAt) {
    fail('endAt is before startAt, so the schedule would never fire.');
  }
}

/** Throw a {@link ConfigurationError} naming `where` for a catch-up policy out of range. */
export function assertValidCatchUp(catchUp: CatchUpPolicy, where: string): void {
  const fail = (message: string): never => {
    throw new ConfigurationError(`${where}: ${message}`);
  };
  if (catchUp.policy !== undefined && !POLICIES.includes(catchUp.policy)) {
    fail('catchUp.policy must be all, once or skip.');
  }
  if (catchUp.window !== undefined && !(finite(catchUp.window) && catchUp.window >= 0)) {
    fail(`catchUp.window must be a number of seconds, 0 or more, got ${String(catchUp.window)}.`);
  }
  if (catchUp.max !== undefined && !(Number.isInteger(catchUp.max) && catchUp.max >= 1)) {
    fail(`catchUp.max must be an integer of 1 or more, got ${String(catchUp.max)}.`);
  }
}

function finite(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isPlainObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
