import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { DjangoBeatTables } from '../support/django-beat.js';
import {
  type DjangoBeatApp,
  expectCrontabRowMaps,
  expectDisableThenDelete,
  expectIntervalRowFires,
  startDjangoBeatApp,
} from '../support/django-beat-app.js';
import { uniqueDatabase } from '../support/typeorm-mariadb.js';

// django-celery-beat 2.4's tables on MariaDB (Django's mysql backend, USE_TZ=True: DATETIME
// columns hold UTC without an offset, booleans are TINYINT) drive the Celeriac beat, and its
// runs are written back so that Django's ORM reads the right UTC instant. The Node process
// runs in New York time, as an app server outside UTC does: the times must not shift by it.

const zone = process.env.TZ;
process.env.TZ = 'America/New_York';
const tables = new DjangoBeatTables(uniqueDatabase('djbeat'), 'mariadb');
let dataSource: DataSource;
let beat: DjangoBeatApp;

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
  beat = await startDjangoBeatApp(dataSource, 'djbeatm');
}, 120_000);

afterAll(async () => {
  await beat?.app.close();
  await dataSource?.destroy();
  await tables.drop();
  process.env.TZ = zone;
});

describe('TaskQueueDjangoBeatModule on django-celery-beat tables in MariaDB', () => {
  it('fires an interval row with its args, and writes its runs back in UTC as Django reads them', async () => {
    await expectIntervalRowFires(tables, beat, 'every second');
    await expect
      .poll(async () => (await tables.read('every second')).total_run_count, { timeout: 10_000 })
      .toBeGreaterThanOrEqual(2);
    const { last_run_at: lastRun } = await tables.read('every second');
    expect(lastRun).toMatch(/\+00:00$/);
    expect(Math.abs(Date.now() - Date.parse(lastRun!))).toBeLessThan(10_000);
  });

  it('stops firing a row disabled in Django, and drops a deleted one', async () => {
    await expectDisableThenDelete(tables, beat, 'every second');
  });

  it('reads start_time and expires as the UTC instants Django stored', async () => {
    const start = new Date(Math.ceil(Date.now() / 1000) * 1000 + 3_600_000);
    const end = new Date(start.getTime() + 86_400_000);
    await tables.call('interval', {
      name: 'starts in an hour',
      task: beat.task,
      every: 10,
      period: 'minutes',
      start_time: start.toISOString(),
      expires: end.toISOString(),
      one_off: true,
      queue: beat.queue,
    });
    await expect
      .poll(() => beat.schedules.get('starts in an hour'), { timeout: 5_000 })
      .toMatchObject({
        schedule: { every: 600 },
        definition: { startAt: start.getTime(), endAt: end.getTime(), maxRuns: 1 },
      });
  });

  it('maps a crontab row to a cron line in its time zone', async () => {
    await expectCrontabRowMaps(tables, beat, 'weekday five minutes');
  });
});
