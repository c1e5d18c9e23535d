import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { Schedules, Task, TaskContext, TaskQueueBeatModule, TaskQueueModule } from 'celeriac';
import { TaskQueueDjangoBeatModule } from 'celeriac/typeorm';
import { DjangoBeatTables } from '../support/django-beat.js';
import { uniqueDatabase } from '../support/typeorm-mariadb.js';

// django-celery-beat 2.4's tables on MariaDB (Django's mysql backend, USE_TZ=True: DATETIME
// columns hold UTC without an offset, booleans are TINYINT) drive the Celeriac beat, and its
// runs are written back so that Django's ORM reads the right UTC instant. The Node process
// runs in New York time, as an app server outside UTC does: the times must not shift by it.

const zone = process.env.TZ;
process.env.TZ = 'America/New_York';
const tables = new DjangoBeatTables(uniqueDatabase('djbeat'), 'mariadb');
const queue = `djbeatm-${randomUUID().slice(0, 8)}`;
const runs: { args: unknown[]; schedule: unknown }[] = [];
let dataSource: DataSource;
let app: TestingModule;
let schedules: Schedules;

@Injectable()
class DjangoTasks {
  constructor(private readonly context: TaskContext) {}

  @Task('djbeatm.tick')
  tick(...args: unknown[]): void {
    runs.push({ args, schedule: this.context.headers.periodic_task_name });
  }
}

beforeAll(async () => {
  await tables.migrate();
  // The app's own DataSource on the Django database, TypeORM's defaults (local time zone).
  dataSource = new DataSource({
    type: 'mariadb',
    host: '127.0.0.1',
    port: 3306,
    username: 'root',
    password: '',
    database: tables.schema,
  });
  await dataSource.initialize();
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
  await app?.close();
  await dataSource?.destroy();
  await tables.drop();
  process.env.TZ = zone;
});

describe('TaskQueueDjangoBeatModule on django-celery-beat tables in MariaDB', () => {
  it('fires an interval row with its args, and writes its runs back in UTC as Django reads them', async () => {
    await tables.call('interval', {
      name: 'every second',
      task: 'djbeatm.tick',
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
    await expect
      .poll(async () => (await tables.read('every second')).total_run_count, { timeout: 10_000 })
      .toBeGreaterThanOrEqual(2);
    const { last_run_at: lastRun } = await tables.read('every second');
    expect(lastRun).toMatch(/\+00:00$/);
    expect(Math.abs(Date.now() - Date.parse(lastRun!))).toBeLessThan(10_000);
  });

  it('stops firing a row disabled in Django, and drops a deleted one', async () => {
    await tables.call('update', { name: 'every second', enabled: false });
    await expect
      .poll(async () => (await schedules.get('every second'))?.nextFireAt, { timeout: 5_000 })
      .toBeNull();
    await tables.call('delete', { name: 'every second' });
    await expect.poll(() => schedules.get('every second'), { timeout: 5_000 }).toBeNull();
  });

  it('reads start_time and expires as the UTC instants Django stored', async () => {
    const start = new Date(Math.ceil(Date.now() / 1000) * 1000 + 3_600_000);
    const end = new Date(start.getTime() + 86_400_000);
    await tables.call('interval', {
      name: 'starts in an hour',
      task: 'djbeatm.tick',
      every: 10,
      period: 'minutes',
      start_time: start.toISOString(),
      expires: end.toISOString(),
      one_off: true,
      queue,
    });
    await expect
      .poll(() => schedules.get('starts in an hour'), { timeout: 5_000 })
      .toMatchObject({
        schedule: { every: 600 },
        definition: { startAt: start.getTime(), endAt: end.getTime(), maxRuns: 1 },
      });
  });

  it('maps a crontab row to a cron line in its time zone', async () => {
    await tables.call('crontab', {
      name: 'weekday five minutes',
      task: 'djbeatm.tick',
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
        source: 'django',
        schedule: { cron: '*/5 8-17 * * mon-fri', tz: 'Europe/Berlin' },
        definition: { kwargs: { report: true }, priority: 3, expires: 120, queue },
        enabled: true,
      });
  });
});
