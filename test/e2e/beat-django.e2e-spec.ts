import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DataSource } from 'typeorm';
import { Schedules, Task, TaskContext, TaskQueueBeatModule, TaskQueueModule } from 'celeriac';
import { TaskQueueDjangoBeatModule } from 'celeriac/typeorm';
import { DjangoBeatTables } from '../support/django-beat.js';
import { openSchemaDataSource, uniqueSchema } from '../support/typeorm-postgres.js';

// Schedules edited with Django's ORM (as Django admin edits them) in django-celery-beat 2.4's
// own tables on PostgreSQL drive the Celeriac beat: the rows fire in a Nest worker, their runs
// are written back, edits take effect within the poll interval, and rows the beat cannot serve
// are named in one warning.

const tables = new DjangoBeatTables(uniqueSchema('djbeat'));
const queue = `djbeat-${randomUUID().slice(0, 8)}`;
const runs: { args: unknown[]; schedule: unknown }[] = [];
let dataSource: DataSource;
let app: TestingModule;
let schedules: Schedules;
const warnings: string[] = [];

@Injectable()
class DjangoTasks {
  constructor(private readonly context: TaskContext) {}

  @Task('djbeat.tick')
  tick(...args: unknown[]): void {
    runs.push({ args, schedule: this.context.headers.periodic_task_name });
  }
}

beforeAll(async () => {
  await tables.migrate();
  dataSource = await openSchemaDataSource(tables.schema);
  vi.spyOn(Logger.prototype, 'warn').mockImplementation(
    (line: unknown) => void warnings.push(String(line)),
  );
  app = await Test.createTestingModule({
    imports: [
      TaskQueueModule.forRoot({
        broker: `memory://${queue}`,
        resultBackend: false,
        defaultQueue: queue,
        events: { enabled: false },
        worker: { enabled: true, queues: [queue], banner: false },
      }),
      TaskQueueBeatModule.forRoot({ store: `memory://${queue}` }),
      TaskQueueDjangoBeatModule.forRoot({ dataSource, pollInterval: 200 }),
    ],
    providers: [DjangoTasks],
  }).compile();
  await app.init();
  schedules = app.get(Schedules);
}, 120_000);

afterAll(async () => {
  vi.restoreAllMocks();
  await app?.close();
  await dataSource?.destroy();
  await tables.drop();
});

describe('TaskQueueDjangoBeatModule on django-celery-beat tables', () => {
  it('fires an interval row created in Django, with its args and periodic_task_name', async () => {
    await tables.call('interval', {
      name: 'every second',
      task: 'djbeat.tick',
      every: 1,
      period: 'seconds',
      args: [7, 'x'],
      queue,
    });
    await expect.poll(() => runs.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    expect(runs[0]).toEqual({ args: [7, 'x'], schedule: 'every second' });
    expect(await schedules.get('every second')).toMatchObject({
      source: 'django',
      schedule: { every: 1 },
      enabled: true,
    });
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

  it('stops firing a row disabled in Django, and drops a deleted one', async () => {
    await tables.call('update', { name: 'every second', enabled: false });
    await expect
      .poll(async () => (await schedules.get('every second'))?.nextFireAt, { timeout: 5_000 })
      .toBeNull();
    await tables.call('delete', { name: 'every second' });
    await expect.poll(() => schedules.get('every second'), { timeout: 5_000 }).toBeNull();
  });

  it('maps a crontab row to a cron line in its time zone, as Celery reads it', async () => {
    await tables.call('crontab', {
      name: 'weekday five minutes',
      task: 'djbeat.tick',
      minute: '*/5',
      hour: '8-17',
      day_of_week: 'mon-fri',
      day_of_month: '*',
      month_of_year: '*',
      timezone: 'Europe/Berlin',
      kwargs: { report: true },
      priority: 3,
      expire_seconds: 120,
      queue,
    });
    await expect
      .poll(() => schedules.get('weekday five minutes'), { timeout: 5_000 })
      .toMatchObject({
        schedule: { cron: '*/5 8-17 * * mon-fri', tz: 'Europe/Berlin' },
        definition: { kwargs: { report: true }, priority: 3, expires: 120, queue },
      });
    const next = (await schedules.get('weekday five minutes'))!.nextFireAt!;
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
    await schedules.add('taken', 'other.task', { every: 3600 });
    await tables.call('interval', {
      name: 'taken',
      task: 'djbeat.tick',
      every: 5,
      period: 'minutes',
    });
    await expect
      .poll(() => warnings.filter((w) => w.includes('"at sunset"')), { timeout: 5_000 })
      .toEqual([expect.stringContaining('solar schedules ("sunset") are not supported')]);
    await expect
      .poll(() => warnings.filter((w) => w.includes('"taken"')), { timeout: 5_000 })
      .toEqual([
        expect.stringContaining('a schedule of that name from @Periodic or the Schedules API'),
      ]);
    expect(await schedules.get('at sunset')).toBeNull();
    expect(await schedules.get('taken')).toMatchObject({ source: 'api', task: 'other.task' });
    // Later syncs (another edit) do not repeat the warnings.
    await tables.call('update', { name: 'weekday five minutes', priority: 4 });
    await expect
      .poll(async () => (await schedules.get('weekday five minutes'))?.definition.priority)
      .toBe(4);
    expect(warnings.filter((w) => w.includes('"at sunset"') || w.includes('"taken"'))).toHaveLength(
      2,
    );
  });
});
