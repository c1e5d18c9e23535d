import { Logger } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DataSource } from 'typeorm';
import { DjangoBeatTables } from '../support/django-beat.js';
import {
  type DjangoBeatApp,
  expectCrontabRowMaps,
  expectDisableThenDelete,
  expectIntervalRowFires,
  startDjangoBeatApp,
} from '../support/django-beat-app.js';
import { openSchemaDataSource, uniqueSchema } from '../support/typeorm-postgres.js';

// Schedules edited with Django's ORM (as Django admin edits them) in django-celery-beat 2.4's
// own tables on PostgreSQL drive the Celeriac beat: the rows fire in a Nest worker, their runs
// are written back, edits take effect within the poll interval, and rows the beat cannot serve
// are named in one warning.

const tables = new DjangoBeatTables(uniqueSchema('djbeat'));
let dataSource: DataSource;
let beat: DjangoBeatApp;
const warnings: string[] = [];

beforeAll(async () => {
  await tables.migrate();
  dataSource = await openSchemaDataSource(tables.schema);
  vi.spyOn(Logger.prototype, 'warn').mockImplementation(
    (line: unknown) => void warnings.push(String(line)),
  );
  beat = await startDjangoBeatApp(dataSource, 'djbeat');
}, 120_000);

afterAll(async () => {
  vi.restoreAllMocks();
  await beat?.app.close();
  await dataSource?.destroy();
  await tables.drop();
});

describe('TaskQueueDjangoBeatModule on django-celery-beat tables', () => {
  it('fires an interval row created in Django, with its args and periodic_task_name', async () => {
    await expectIntervalRowFires(tables, beat, 'every second');
    // The runs are written back to the row, as Python's DatabaseScheduler does.
    const row = async () =>
      (
        (await dataSource.query(
          'SELECT total_run_count, last_run_at FROM django_celery_beat_periodictask WHERE name = $1',
          ['every second'],
        )) as { total_run_count: number; last_run_at: Date | null }[]
      )[0]!;
    await expect.poll(async () => (await row()).total_run_count).toBeGreaterThanOrEqual(2);
    const { last_run_at: lastRun } = await row();
    expect(Date.now() - lastRun!.getTime()).toBeLessThan(10_000);
  });

  it('runs a one_off row once and leaves it disabled with its count reset, as Celery does', async () => {
    await tables.call('interval', {
      name: 'just once',
      task: beat.task,
      every: 1,
      period: 'seconds',
      one_off: true,
      args: ['once'],
      queue: beat.queue,
    });
    const once = () => beat.runs.filter((run) => run.schedule === 'just once');
    await expect.poll(() => once().length, { timeout: 10_000 }).toBe(1);
    // Celery's end state: enabled = False, total_run_count = 0, last_run_at = the run.
    await expect
      .poll(() => tables.read('just once'), { timeout: 10_000 })
      .toMatchObject({ enabled: false, total_run_count: 0, last_run_at: expect.any(String) });
    await expect
      .poll(async () => (await beat.schedules.get('just once'))?.enabled, { timeout: 5_000 })
      .toBe(false);
    expect(once()).toHaveLength(1);
    // Enabled again in Django admin, it runs once more, as with Celery.
    await tables.call('update', { name: 'just once', enabled: true });
    await expect.poll(() => once().length, { timeout: 10_000 }).toBe(2);
    await expect
      .poll(() => tables.read('just once'), { timeout: 10_000 })
      .toMatchObject({ enabled: false, total_run_count: 0 });
  });

  it('runs a clocked row once at its clocked_time, then leaves it disabled, as Celery does', async () => {
    const at = new Date(Date.now() + 1_500);
    await tables.call('clocked', {
      name: 'at a clock time',
      task: beat.task,
      clocked_time: at.toISOString(),
      one_off: true, // django-celery-beat requires it of a clocked row
      args: ['clocked'],
      queue: beat.queue,
    });
    const clocked = () => beat.runs.filter((run) => run.schedule === 'at a clock time');
    await expect.poll(() => clocked().length, { timeout: 10_000 }).toBe(1);
    expect(Date.now()).toBeGreaterThanOrEqual(at.getTime());
    expect(clocked()[0]!.args).toEqual(['clocked']);
    await expect
      .poll(() => tables.read('at a clock time'), { timeout: 10_000 })
      .toMatchObject({ enabled: false, total_run_count: 0, last_run_at: expect.any(String) });
    // Enabled again, its clocked_time long past, Celery's clocked schedule is due at once.
    await tables.call('update', { name: 'at a clock time', enabled: true });
    await expect.poll(() => clocked().length, { timeout: 10_000 }).toBe(2);
    await expect
      .poll(() => tables.read('at a clock time'), { timeout: 10_000 })
      .toMatchObject({ enabled: false, total_run_count: 0 });
    expect(clocked()).toHaveLength(2);
  });

  it('fires an interval row at its last run + every, as Celery does, not on a grid of its own', async () => {
    const lastRun = new Date(Date.now() - 20 * 60_000 - 17_250);
    await tables.call('interval', {
      name: 'hourly since last run',
      task: beat.task,
      every: 1,
      period: 'hours',
      last_run_at: lastRun.toISOString(),
      queue: beat.queue,
    });
    await expect
      .poll(async () => (await beat.schedules.get('hourly since last run'))?.nextFireAt, {
        timeout: 5_000,
      })
      .toEqual(new Date(lastRun.getTime() + 3_600_000));
  });

  it('stops firing a row disabled in Django, and drops a deleted one', async () => {
    await expectDisableThenDelete(tables, beat, 'every second');
  });

  it('maps a crontab row to a cron line in its time zone, as Celery reads it', async () => {
    await expectCrontabRowMaps(tables, beat, 'weekday five minutes');
    const next = (await beat.schedules.get('weekday five minutes'))!.nextFireAt!;
    const berlin = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Europe/Berlin',
      weekday: 'short',
      hour: 'numeric',
      minute: 'numeric',
      hourCycle: 'h23',
    }).formatToParts(next);
    const part = (type: string) => berlin.find((p) => p.type === type)!.value;
    expect(['Mon', 'Tue', 'Wed', 'Thu', 'Fri']).toContain(part('weekday'));
    expect(Number(part('hour'))).toBeGreaterThanOrEqual(8);
    expect(Number(part('hour'))).toBeLessThanOrEqual(17);
    expect(Number(part('minute')) % 5).toBe(0);
  });

  it('names a row it cannot serve once, and leaves a schedule of the same name from the API alone', async () => {
    await tables.call('solar', { name: 'at sunset', task: 'djbeat.tick' });
    await beat.schedules.add('taken', 'other.task', { every: 3600 });
    await tables.call('interval', {
      name: 'taken',
      task: beat.task,
      every: 5,
      period: 'minutes',
    });
    await expect
      .poll(() => warnings.filter((w) => w.includes('"at sunset"')), { timeout: 5_000 })
      .toEqual([
        expect.stringMatching(
          /solar schedules \("sunset"\) are not supported; it does not fire\.$/,
        ),
      ]);
    await expect
      .poll(() => warnings.filter((w) => w.includes('"taken"')), { timeout: 5_000 })
      .toEqual([
        expect.stringContaining('a schedule of that name from @Periodic or the Schedules API'),
      ]);
    expect(await beat.schedules.get('at sunset')).toBeNull();
    expect(await beat.schedules.get('taken')).toMatchObject({ source: 'api', task: 'other.task' });
    // Later syncs (another edit) do not repeat the warnings.
    await tables.call('update', { name: 'weekday five minutes', priority: 4 });
    await expect
      .poll(async () => (await beat.schedules.get('weekday five minutes'))?.definition.priority)
      .toBe(4);
    expect(warnings.filter((w) => w.includes('"at sunset"') || w.includes('"taken"'))).toHaveLength(
      2,
    );
  });
});
