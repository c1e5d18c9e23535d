import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BeatLeaseRow,
  BeatPendingRow,
  BeatScheduleRow,
  CreateBeatTables1780358400000,
} from 'celeriac/typeorm';
import { CLI_BIN, ensureBuilt, ROOT } from '../support/interop-build.js';
import { ManagedProcess, runCeleriac, stopAll, uniqueName } from '../support/interop-processes.js';
import { REDIS_URL } from '../support/redis-test-server.js';
import { dropSchema, openSchemaDataSource, uniqueSchema } from '../support/typeorm-postgres.js';

/** `celeriac schedule` and `celeriac beat` on the PostgreSQL schedule store, named by URL. */
const schema = uniqueSchema('beatcli');
const channel = `beat_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
const STORE = `postgres://postgres@127.0.0.1:5432/test?schema=${schema}&channel=${channel}`;
const QUEUE = uniqueName('beat-cli-pg');
const ENV = { CELERIAC_BROKER: REDIS_URL };
const FLAGS = ['--store', STORE];

let dataSource: DataSource;
let redis: Redis;

beforeAll(async () => {
  await ensureBuilt();
  redis = new Redis(REDIS_URL);
  dataSource = await openSchemaDataSource(schema, {
    entities: [BeatScheduleRow, BeatPendingRow, BeatLeaseRow],
    migrations: [CreateBeatTables1780358400000],
  });
  await dataSource.runMigrations();
});

afterAll(async () => {
  await stopAll();
  await redis?.del(QUEUE);
  redis?.disconnect();
  await dataSource?.destroy();
  await dropSchema(schema);
});

describe('celeriac schedule and beat with a postgres:// store', () => {
  it('edits schedules in the schema named by the URL and a beat publishes them', async () => {
    const add = await runCeleriac(
      ['schedule', 'add', 'pg-tick', 'e2e.pg_tick', '--every', '1', '--queue', QUEUE, ...FLAGS],
      ENV,
    );
    expect(add.code, add.stderr).toBe(0);
    expect(add.stdout).toMatch(/^pg-tick\te2e\.pg_tick\tevery 1s\tactive\tnext=/);
    const rows: { name: string }[] = await dataSource.query(
      `SELECT name FROM "${schema}".beat_schedule`,
    );
    expect(rows.map((row) => row.name)).toEqual(['pg-tick']);
    const ls = await runCeleriac(['schedule', 'ls', '--json', ...FLAGS], ENV);
    expect(JSON.parse(ls.stdout.trim())).toMatchObject({ name: 'pg-tick', enabled: true });

    const child = spawn(process.execPath, [CLI_BIN, 'beat', ...FLAGS, '--renew-ms', '200'], {
      cwd: ROOT,
      env: { ...process.env, ...ENV },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const beat = new ManagedProcess('celeriac beat (postgres)', child);
    await beat.waitFor(/is the leader/);
    await expect
      .poll(() => redis.llen(QUEUE), { timeout: 10_000, interval: 100 })
      .toBeGreaterThanOrEqual(2);
    const message = JSON.parse((await redis.lindex(QUEUE, 0))!) as {
      headers: Record<string, unknown>;
    };
    expect(message.headers.periodic_task_name).toBe('pg-tick');
    // An edit from another process reaches the running beat (NOTIFY on the URL's channel).
    const pause = await runCeleriac(['schedule', 'pause', 'pg-tick', ...FLAGS], ENV);
    expect(pause.stdout).toContain('\tpaused\t');
    await beat.stop();
    expect(beat.output).toContain('SIGTERM, stopping');
    const [state] = (await dataSource.query(
      `SELECT state FROM "${schema}".beat_schedule WHERE name = 'pg-tick'`,
    )) as { state: string }[];
    expect((JSON.parse(state!.state) as { totalRuns: number }).totalRuns).toBeGreaterThanOrEqual(2);
    const rm = await runCeleriac(['schedule', 'rm', 'pg-tick', ...FLAGS], ENV);
    expect(rm.stdout.trim()).toBe('removed pg-tick');
  });

  it('says what is wrong with a store URL it cannot use', async () => {
    const mysql = await runCeleriac(
      ['schedule', 'ls', '--store', 'mysql://root:secret@127.0.0.1:3306/test'],
      ENV,
    );
    expect(mysql.code).toBe(1);
    expect(mysql.stderr).toContain('the SQL schedule store needs PostgreSQL');
    expect(mysql.stderr).not.toContain('secret');
    const noTables = await runCeleriac(
      [
        'schedule',
        'ls',
        '--store',
        `postgres://postgres@127.0.0.1:5432/test?schema=${schema}_none`,
      ],
      ENV,
    );
    expect(noTables.code).toBe(1);
    expect(noTables.stderr).toContain('The beat_schedule table does not exist');
  });
});
