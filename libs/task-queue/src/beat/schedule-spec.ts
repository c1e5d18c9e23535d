import type {
  ScheduleDefinition,
  ScheduleSpec,
  StoredScheduleSpec,
} from '../contracts/schedule-store.interface.js';
import { ConfigurationError } from '../errors/configuration.error.js';
import { CronExpression } from './cron-expression.js';

const crons = new Map<string, CronExpression>();

/** The shortest `{ every }` period, in seconds (1 ms: instants are whole ms). */
export const MIN_EVERY_SECONDS = 0.001;
/** The longest `{ every }` period, in seconds (100 years): its instants stay valid dates. */
export const MAX_EVERY_SECONDS = 3_155_760_000;

/** Validate a user's spec and turn it into its stored, JSON-safe form. */
export function toStoredSpec(spec: ScheduleSpec | string, where: string): StoredScheduleSpec {
  if (typeof spec === 'string') spec = { cron: spec };
  if ('cron' in spec) {
    let cron: CronExpression;
    try {
      cron = cronOf(spec.cron, spec.tz);
    } catch (error) {
      // A bad expression or zone: say which schedule (`@Periodic on Class.method`) has it.
      if (error instanceof ConfigurationError)
        throw new ConfigurationError(`${where}: ${error.message}`);
      throw error;
    }
    if (cron.nextAfter(Date.now()) === null) {
      throw new ConfigurationError(
        `${where}: cron expression "${spec.cron}" never fires (no such date, e.g. 31 February).`,
      );
    }
    return spec.tz ? { cron: spec.cron, tz: spec.tz } : { cron: spec.cron };
  }
  if ('every' in spec) {
    const every = spec.every;
    if (!(typeof every === 'number' && every >= MIN_EVERY_SECONDS && every <= MAX_EVERY_SECONDS)) {
      throw new ConfigurationError(
        `${where}: every must be a number of seconds from ${MIN_EVERY_SECONDS} to ` +
          `${MAX_EVERY_SECONDS} (100 years), got ${String(every)}.`,
      );
    }
    return { every: spec.every };
  }
  if ('at' in spec) {
    const at = new Date(spec.at).getTime();
    if (Number.isNaN(at)) throw new ConfigurationError(`${where}: at is not a valid instant.`);
    return { at };
  }
  throw new ConfigurationError(`${where}: give a cron expression, { every } or { at }.`);
}

/** A readable form of a stored spec (CLI, logs). */
export function describeSpec(spec: StoredScheduleSpec): string {
  if ('cron' in spec) return spec.tz ? `${spec.cron} (${spec.tz})` : spec.cron;
  if ('every' in spec) return `every ${spec.every}s`;
  return `at ${new Date(spec.at).toISOString()}`;
}

/**
 * The first scheduled instant of `definition` strictly after `after`, honouring its start and
 * end dates; null when it never fires again. `every` schedules are anchored at the epoch (or
 * at `startAt`), so every beat computes the same instants.
 */
export function nextFireAfter(definition: ScheduleDefinition, after: number): number | null {
  const { schedule, startAt, endAt } = definition;
  const from = startAt !== undefined && startAt - 1 > after ? startAt - 1 : after;
  let next: number | null;
  if ('cron' in schedule) next = cronOf(schedule.cron, schedule.tz).nextAfter(from);
  else if ('every' in schedule) {
    const period = Math.round(schedule.every * 1000);
    const anchor = startAt ?? 0;
    next = anchor + (Math.floor((from - anchor) / period) + 1) * period;
  } else next = schedule.at > from ? schedule.at : null;
  if (next !== null && endAt !== undefined && next > endAt) return null;
  return next;
}

function cronOf(expression: string, tz = 'UTC'): CronExpression {
  const key = `${tz} ${expression}`;
  let cron = crons.get(key);
  if (!cron) {
    cron = new CronExpression(expression, tz);
    if (crons.size > 10_000) crons.clear();
    crons.set(key, cron);
  }
  return cron;
}
