import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { BeatService } from 'celeriac';
import { DjangoBeatTables } from '../support/django-beat.js';
import {
  type DjangoBeatApp,
  expectIntervalRowFires,
  startDjangoBeatApp,
} from '../support/django-beat-app.js';
import { PrivateRedisServer } from '../support/redis-test-server.js';
import { openSchemaDataSource, uniqueSchema } from '../support/typeorm-postgres.js';

// The beat's store is a Redis without persistence, restarted under the app: the schedules of
// django-celery-beat's rows are gone from it. They fire again after the next poll (200 ms
// here), not only at the next full read (resyncInterval, 5 minutes).

const tables = new DjangoBeatTables(uniqueSchema('djrestart'));
let dataSource: DataSource;
let redis: PrivateRedisServer;
let beat: DjangoBeatApp;

beforeAll(async () => {
  await tables.migrate();
  dataSource = await openSchemaDataSource(tables.schema);
  redis = await PrivateRedisServer.start();
  beat = await startDjangoBeatApp(dataSource, 'djrestart', redis.url);
}, 120_000);

afterAll(async () => {
  await beat?.app.close();
  await dataSource?.destroy();
  await tables.drop();
  await redis?.destroy();
});

describe('django-celery-beat rows after the store lost its data', () => {
  it('are written to the store again once it is back, and fire', async () => {
    await expect.poll(() => beat.app.get(BeatService).isLeader, { timeout: 10_000 }).toBe(true);
    await expectIntervalRowFires(tables, beat, 'every second');
    await redis.kill();
    await redis.restart();
    const before = beat.runs.length;
    await expect
      .poll(() => beat.runs.length - before, { timeout: 15_000 })
      .toBeGreaterThanOrEqual(2);
    expect(await beat.schedules.get('every second')).toMatchObject({ source: 'django' });
  }, 60_000);
});
