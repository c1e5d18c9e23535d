import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../errors/configuration.error.js';
import { nextFireAfter } from '../schedule-spec.js';
import { djangoRowToDefinition, type DjangoTaskRow } from './django-beat.row.js';

const row = (fields: Partial<DjangoTaskRow>): DjangoTaskRow => ({
  id: 1,
  name: 'nightly',
  task: 'reports.nightly',
  args: '[]',
  kwargs: '{}',
  queue: null,
  exchange: null,
  routing_key: null,
  priority: null,
  headers: '{}',
  expires: null,
  expire_seconds: null,
  one_off: false,
  start_time: null,
  enabled: true,
  interval_every: null,
  interval_period: null,
  cron_minute: null,
  cron_hour: null,
  cron_day_of_week: null,
  cron_day_of_month: null,
  cron_month_of_year: null,
  cron_timezone: null,
  clocked_time: null,
  solar_event: null,
  ...fields,
});

describe('djangoRowToDefinition', () => {
  it("routes through the row's exchange with its routing_key when both are set, as Celery does", () => {
    const routed = djangoRowToDefinition(
      row({ interval_every: 1, interval_period: 'hours', exchange: 'reports', routing_key: 'r.k' }),
    );
    expect(routed).toMatchObject({ exchange: 'reports', routingKey: 'r.k' });
    // Celery's send_task_message publishes to the anonymous exchange (the queue) unless both
    // are set: one alone, or blanks, route nothing.
    for (const [exchange, routingKey] of [
      ['reports', null],
      [null, 'r.k'],
      ['', 'r.k'],
      ['reports', ''],
    ] as const) {
      const plain = djangoRowToDefinition(
        row({ interval_every: 1, interval_period: 'hours', exchange, routing_key: routingKey }),
      );
      expect(plain).not.toHaveProperty('exchange');
      expect(plain).not.toHaveProperty('routingKey');
    }
  });

  it('reads an interval in any of its periods as seconds', () => {
    for (const [period, seconds] of [
      ['days', 172_800],
      ['hours', 7_200],
      ['minutes', 120],
      ['seconds', 2],
    ] as const) {
      const definition = djangoRowToDefinition(row({ interval_every: 2, interval_period: period }));
      expect(definition.schedule).toEqual({ every: seconds });
    }
  });

  it("gives each column django-celery-beat's meaning (MySQL's 0 / 1 and text times too)", () => {
    const definition = djangoRowToDefinition(
      row({
        interval_every: '30',
        interval_period: 'seconds',
        args: '[1, "a"]',
        kwargs: '{"b": 2}',
        queue: 'reports',
        priority: '5',
        headers: '{"tenant": "x"}',
        expires: '2027-01-01 00:00:00',
        expire_seconds: 60,
        one_off: 1,
        start_time: new Date('2026-12-24T00:00:00Z'),
        enabled: 0,
      }),
    );
    expect(definition).toMatchObject({
      name: 'nightly',
      task: 'reports.nightly',
      source: 'django',
      args: [1, 'a'],
      kwargs: { b: 2 },
      queue: 'reports',
      priority: 5,
      headers: { tenant: 'x' },
      expires: 60,
      endAt: Date.parse('2027-01-01T00:00:00Z'),
      startAt: Date.parse('2026-12-24T00:00:00Z'),
      maxRuns: 1,
      enabled: false,
    });
  });

  it('reads a crontab as minute hour day-of-month month day-of-week in its zone, and a clocked time', () => {
    const cron = djangoRowToDefinition(
      row({
        cron_minute: '0',
        cron_hour: '3',
        cron_day_of_week: '*',
        cron_day_of_month: '1',
        cron_month_of_year: '*/3',
        cron_timezone: 'America/New_York',
      }),
    );
    expect(cron.schedule).toEqual({ cron: '0 3 1 */3 *', tz: 'America/New_York' });
    const at = new Date('2027-03-01T10:00:00Z');
    expect(djangoRowToDefinition(row({ clocked_time: at, one_off: true })).schedule).toEqual({
      at: at.getTime(),
    });
  });

  it('reads a crontab field with spaces as Celery does ("0, 30" is minutes 0 and 30)', () => {
    const crontab = {
      cron_minute: '0, 30',
      cron_hour: ' 9,17 ',
      cron_day_of_week: 'mon-fri',
      cron_day_of_month: '*',
      cron_month_of_year: '*',
    };
    expect(djangoRowToDefinition(row(crontab)).schedule).toEqual({ cron: '0,30 9,17 * * mon-fri' });
    expect(() => djangoRowToDefinition(row({ ...crontab, cron_hour: ' ' }))).toThrow(
      /"nightly" \(id 1\).*its crontab hour is empty/,
    );
  });

  it("keeps the phase of an interval row's last run (else of its last save), as Celery does", () => {
    const hourly = { interval_every: 1, interval_period: 'hours' };
    const phase = (fields: Partial<DjangoTaskRow>) => djangoRowToDefinition(row(fields)).startAt;
    const run = Date.parse('2026-12-07T10:17:23.500Z');
    expect(phase({ ...hourly, last_run_at: new Date(run) })).toBe((17 * 60 + 23.5) * 1000);
    const daily = { interval_every: 1, interval_period: 'days' };
    expect(phase({ ...daily, date_changed: '2026-12-07 14:30:00', last_run_at: null })).toBe(
      (14 * 60 + 30) * 60_000,
    );
    // start_time sets the phase itself; without any of them the grid is the epoch's.
    const start = new Date('2027-01-01T08:05:00Z');
    expect(phase({ ...hourly, last_run_at: new Date(run), start_time: start })).toBe(+start);
    expect(phase(hourly)).toBeUndefined();
    // The next fire after a run at 10:17:23.5 is 11:17:23.5.
    const definition = djangoRowToDefinition(row({ ...hourly, last_run_at: new Date(run) }));
    expect(nextFireAfter(definition, run)).toBe(run + 3_600_000);
  });

  it('caps a priority above 9 (Django allows up to 255) at 9, as kombu does', () => {
    const every = { interval_every: 1, interval_period: 'minutes' };
    expect(djangoRowToDefinition(row({ ...every, priority: 200 })).priority).toBe(9);
    expect(djangoRowToDefinition(row({ ...every, priority: '10' })).priority).toBe(9);
    expect(djangoRowToDefinition(row({ ...every, priority: 0 })).priority).toBe(0);
  });

  it('serves a one_off row that already ran disabled, as Celery disables it unfired', () => {
    const every = { interval_every: 1, interval_period: 'minutes', one_off: true };
    expect(djangoRowToDefinition(row({ ...every, total_run_count: 1 })).enabled).toBe(false);
    expect(djangoRowToDefinition(row({ ...every, total_run_count: 0 })).enabled).toBe(true);
    expect(
      djangoRowToDefinition(row({ ...every, one_off: false, total_run_count: 3 })).enabled,
    ).toBe(true);
  });

  it("reads args and kwargs as Python's json wrote them: ints beyond 2^53 exact, NaN", () => {
    const every = { interval_every: 1, interval_period: 'seconds' };
    const definition = djangoRowToDefinition(
      row({
        ...every,
        args: '[1180591620717411303425, 9007199254740993, 2]',
        kwargs: '{"x": NaN}',
      }),
    );
    expect(definition.args).toEqual([2n ** 70n + 1n, 2n ** 53n + 1n, 2]);
    expect(definition.kwargs.x).toBeNaN();
  });

  it('refuses, naming the row, what it cannot serve', () => {
    const refused = (fields: Partial<DjangoTaskRow>) => () => djangoRowToDefinition(row(fields));
    expect(refused({ solar_event: 'sunset' })).toThrow(ConfigurationError);
    expect(refused({ solar_event: 'sunset' })).toThrow(/"nightly" \(id 1\).*solar/);
    expect(refused({})).toThrow(/no interval, crontab or clocked schedule/);
    const every = { interval_every: 1, interval_period: 'seconds' };
    expect(refused({ ...every, args: '{"a": 1}' })).toThrow(/args must be a JSON list/);
    expect(refused({ ...every, kwargs: 'nope' })).toThrow(/kwargs are not JSON/);
    expect(refused({ interval_every: 1, interval_period: 'fortnights' })).toThrow(/fortnights/);
    // A crontab Celery refuses too (minute 61, day-of-month 0) or an unknown zone.
    const crontab = {
      cron_minute: '0',
      cron_hour: '3',
      cron_day_of_week: '*',
      cron_day_of_month: '*',
      cron_month_of_year: '*',
    };
    expect(refused({ ...crontab, cron_minute: '61' })).toThrow(/"nightly" \(id 1\).*"61 3/);
    expect(refused({ ...crontab, cron_day_of_month: '0' })).toThrow(/"nightly" \(id 1\)/);
    expect(refused({ ...crontab, cron_timezone: 'Mars/Olympus' })).toThrow(/"nightly".*Mars/);
  });
});
