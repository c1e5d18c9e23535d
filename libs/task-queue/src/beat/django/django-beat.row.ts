import type { ScheduleDefinition, ScheduleSpec } from '../../contracts/schedule-store.interface.js';
import { ConfigurationError } from '../../errors/configuration.error.js';
import { decodePythonJson } from '../../protocol/python-floats.js';
import type { PeriodicOptions } from '../periodic.decorator.js';
import { toScheduleDefinition } from '../schedule-definition.js';

/**
 * One `django_celery_beat_periodictask` row with its schedule's columns (LEFT JOINs of the
 * interval, crontab, clocked and solar tables), as the SQL drivers return them: times as `Date`
 * or text, booleans as booleans or 0 / 1.
 */
export interface DjangoTaskRow {
  id: number | string;
  name: string;
  task: string;
  args: string | null;
  kwargs: string | null;
  queue: string | null;
  exchange: string | null;
  routing_key: string | null;
  priority: number | string | null;
  headers: string | null;
  expires: Date | string | null;
  expire_seconds: number | string | null;
  one_off: boolean | number | string | null;
  start_time: Date | string | null;
  enabled: boolean | number | string | null;
  total_run_count?: number | string | null;
  last_run_at?: Date | string | null;
  date_changed?: Date | string | null;
  interval_every: number | string | null;
  interval_period: string | null;
  cron_minute: string | null;
  cron_hour: string | null;
  cron_day_of_week: string | null;
  cron_day_of_month: string | null;
  cron_month_of_year: string | null;
  cron_timezone: string | null;
  clocked_time: Date | string | null;
  solar_event: string | null;
}

/** Seconds of one unit of `IntervalSchedule.period`. */
const PERIOD_SECONDS: Record<string, number> = {
  days: 86_400,
  hours: 3_600,
  minutes: 60,
  seconds: 1,
  microseconds: 1e-6,
};

/**
 * The Celeriac schedule of a django-celery-beat row, with django-celery-beat's meaning of each
 * column: `expires` ends the schedule (the row stops firing), `expire_seconds` is each
 * message's expiry, `one_off` is one run, `start_time` the first instant. A `one_off` row that
 * already ran (`total_run_count` > 0) is served disabled: Celery disables it without firing. Throws a
 * `ConfigurationError` naming the row when it cannot be served (a solar schedule, no schedule,
 * JSON args that are not a list, a crontab Celery would refuse).
 */
export function djangoRowToDefinition(row: DjangoTaskRow): ScheduleDefinition {
  const where = `django-celery-beat task "${row.name}" (id ${row.id})`;
  const options: PeriodicOptions = {
    args: parseJson(row.args, [], where, 'args'),
    kwargs: parseJson(row.kwargs, {}, where, 'kwargs'),
    enabled: truthy(row.enabled) && !(truthy(row.one_off) && Number(row.total_run_count) > 0),
  };
  const headers = parseJson<Record<string, unknown>>(row.headers, {}, where, 'headers');
  if (Object.keys(headers).length > 0) options.headers = headers;
  if (row.queue) options.queue = row.queue;
  // Celery publishes to the exchange with the routing key only when both are set; otherwise
  // to the queue (send_task_message's anonymous exchange).
  if (row.exchange && row.routing_key) {
    options.exchange = row.exchange;
    options.routingKey = row.routing_key;
  }
  // Django allows 0-255; kombu caps a message's priority at 9 (the Redis transport, and a
  // RabbitMQ queue with x-max-priority 9 treats more as 9).
  if (row.priority !== null && row.priority !== '') {
    options.priority = Math.min(9, Number(row.priority));
  }
  if (row.expire_seconds !== null && row.expire_seconds !== '') {
    options.expires = Number(row.expire_seconds);
  }
  if (row.expires !== null) options.endAt = toDate(row.expires);
  const spec = specOf(row, where);
  if (row.start_time !== null) options.startAt = toDate(row.start_time);
  else if (typeof spec === 'object' && 'every' in spec) options.startAt = intervalPhase(row, spec);
  if (truthy(row.one_off)) options.maxRuns = 1;
  return toScheduleDefinition(row.name, row.task, spec, options, 'django', where);
}

/**
 * Celery runs an interval row at `last_run_at + every` (and a row never run `every` after it
 * was first seen): the fires keep the phase of the last run, else of the row's last save. As
 * an anchor (`startAt`) that phase is taken back into 1970, so it stays the same from run to
 * run (the runs are written back at their scheduled instants) and never delays a fire.
 */
function intervalPhase(row: DjangoTaskRow, spec: { every: number }): Date | undefined {
  const seen = row.last_run_at ?? row.date_changed;
  const period = Math.round(spec.every * 1000);
  if (!seen || !(period >= 1)) return undefined;
  const at = toDate(seen).getTime();
  if (Number.isNaN(at)) return undefined;
  return new Date(((at % period) + period) % period);
}

function specOf(row: DjangoTaskRow, where: string): ScheduleSpec | string {
  if (row.interval_every !== null && row.interval_period !== null) {
    const unit = PERIOD_SECONDS[row.interval_period];
    if (unit === undefined) {
      return fail(where, `its interval period "${row.interval_period}" is not one Celery knows.`);
    }
    return { every: Number(row.interval_every) * unit };
  }
  if (row.cron_minute !== null) {
    // Celery's crontab(minute, hour, day_of_week, day_of_month, month_of_year) as a 5-field
    // cron line: minute hour day-of-month month day-of-week. Celery reads "0, 30" as 0 and 30,
    // so spaces inside a field are dropped rather than splitting it.
    const fields: Array<[string, string | null]> = [
      ['minute', row.cron_minute],
      ['hour', row.cron_hour],
      ['day_of_month', row.cron_day_of_month],
      ['month_of_year', row.cron_month_of_year],
      ['day_of_week', row.cron_day_of_week],
    ];
    const cron = fields
      .map(([column, value]) => {
        const field = (value ?? '').replace(/\s+/g, '');
        return field || fail(where, `its crontab ${column.replace(/_/g, ' ')} is empty.`);
      })
      .join(' ');
    return row.cron_timezone ? { cron, tz: row.cron_timezone } : cron;
  }
  if (row.clocked_time !== null) return { at: toDate(row.clocked_time) };
  if (row.solar_event !== null) {
    return fail(where, `solar schedules ("${row.solar_event}") are not supported.`);
  }
  return fail(where, 'it has no interval, crontab or clocked schedule.');
}

function parseJson<T>(text: string | null, empty: T, where: string, column: string): T {
  if (text === null || text.trim() === '') return empty;
  let value: unknown;
  try {
    // As a task message's body is read: Python's json writes an int of any size, and
    // JSON.parse would round one beyond 2^53 (a BigInt here, written back exactly).
    value = decodePythonJson(text, column);
  } catch (error) {
    const reason = (error as Error).message.replace(/^The \w+ is not valid JSON: /, '');
    return fail(where, `its ${column} are not JSON (${reason.replace(/\.$/, '')}).`);
  }
  if (Array.isArray(empty) !== Array.isArray(value) || typeof value !== 'object' || !value) {
    return fail(where, `its ${column} must be a JSON ${Array.isArray(empty) ? 'list' : 'object'}.`);
  }
  return value as T;
}

function truthy(value: boolean | number | string | null): boolean {
  return value === true || value === 1 || value === '1' || value === 't' || value === 'true';
}

/** A driver's time value: a Date, or text (MySQL without `dateStrings: false`) read as UTC. */
function toDate(value: Date | string): Date {
  if (value instanceof Date) return value;
  const text = /[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value.replace(' ', 'T')}Z`;
  return new Date(text);
}

function fail(where: string, message: string): never {
  throw new ConfigurationError(`${where}: ${message}`);
}
