import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropMariaDb, openMigratedMariaDb, uniqueDatabase } from '../support/typeorm-mariadb.js';

/**
 * MariaDB DATETIME has no time zone, and mysql2 writes Dates in the process's zone by default.
 * Processes in different zones (TZ env) must still agree on outbox due times and result expiry.
 */
const run = promisify(execFile);
const database = uniqueDatabase('tz');
let dataSource: DataSource;

async function side(zone: string, ...args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run(
    process.execPath,
    ['test/fixtures/transaction-run-ts.mjs', 'test/fixtures/timezone-side.ts', database, ...args],
    { env: { ...process.env, TZ: zone }, timeout: 60_000 },
  );
  const line = stdout.trim().split('\n').pop()!;
  return JSON.parse(line) as Record<string, unknown>;
}

beforeAll(async () => {
  dataSource = await openMigratedMariaDb(database);
});
afterAll(async () => {
  await dataSource?.destroy();
  await dropMariaDb(database);
});

describe('MariaDB across processes in different time zones', () => {
  it('a relay in UTC-10 takes a due row written in UTC; a UTC+9 relay leaves a Honolulu row in its grace period', async () => {
    const due = randomUUID();
    const fresh = randomUUID();
    await Promise.all([
      side('UTC', 'write-outbox', due, '0'),
      side('Pacific/Honolulu', 'write-outbox', fresh, '600000'),
    ]);
    expect(await side('Pacific/Honolulu', 'claim-outbox')).toEqual({ ids: [due] });
    expect(await side('Asia/Tokyo', 'claim-outbox')).toEqual({ ids: [] });
  });

  it('a result stored by a worker in UTC-10 is read, not expired, in UTC+9; date_done is the instant', async () => {
    const id = randomUUID();
    const before = Date.now();
    await side('Pacific/Honolulu', 'store-result', id, '3600');
    const { meta } = (await side('Asia/Tokyo', 'read-result', id)) as {
      meta: { status: string; date_done: string } | null;
    };
    expect(meta).toMatchObject({ status: 'SUCCESS' });
    const done = Date.parse(meta!.date_done);
    expect(done).toBeGreaterThanOrEqual(before - 1_000);
    expect(done).toBeLessThanOrEqual(Date.now() + 1_000);
  });
});
