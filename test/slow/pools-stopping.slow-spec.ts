import { RevokedTasks, WorkerService } from 'celeriac';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../support/interop-build.js';
import { PoolUnderTest } from '../support/pool-under-test.js';
import { REDIS_URL } from '../support/redis-test-server.js';

/**
 * Stopping a processes-pool task (revoke --terminate, from Node and from Python Celery) or the
 * worker under one (Ctrl-C, warm and cold shutdown, shutdownTimeout), on a real Redis. Split
 * from pools-misbehaving.slow-spec.ts so that the two run side by side.
 */
const run = promisify(execFile);
const PYTHON_FIXTURES = join(import.meta.dirname, '../fixtures/python');

let pool: PoolUnderTest | undefined;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

beforeAll(() => ensureBuilt(), 120_000);
afterEach(async () => {
  await pool?.app.close();
  pool = undefined;
});

describe('stopping a task or the worker of a processes pool', () => {
  it('revoke with terminate stops the child and stores REVOKED', async () => {
    pool = await PoolUnderTest.start();
    const begun = pool!.started('pools.nap_process');
    const result = await pool!.client.send('pools.nap_process', [10_000]);
    await begun;
    await pool!.app.get(RevokedTasks).revoke(result.id, { terminate: true });
    await expect.poll(() => result.state(), { timeout: 5_000 }).toBe('REVOKED');
    expect(
      await (await pool!.client.send('pools.whoami_process')).get({ timeout: 20_000 }),
    ).toBeTruthy();
  });

  it('revoke --terminate from Python Celery stops the child and names the task in its reply', async () => {
    pool = await PoolUnderTest.start();
    const begun = pool!.started('pools.nap_process');
    const result = await pool!.client.send('pools.nap_process', [10_000]);
    await begun;
    const node = pool!.app.get(WorkerService).hostname;
    const { stdout } = await run('/usr/bin/python3', [
      join(PYTHON_FIXTURES, 'revoke_terminate.py'),
      REDIS_URL,
      result.id,
      node,
    ]);
    expect(JSON.parse(stdout)).toEqual([{ [node]: { ok: `terminate: ${result.id}` } }]);
    await expect.poll(() => result.state(), { timeout: 5_000 }).toBe('REVOKED');
    expect(
      await (await pool!.client.send('pools.whoami_process')).get({ timeout: 20_000 }),
    ).toBeTruthy();
  });

  it('a SIGINT to the process group (Ctrl-C) leaves the running task to the warm shutdown', async () => {
    pool = await PoolUnderTest.start();
    const begun = pool!.started('pools.nap_process');
    const result = await pool!.client.send('pools.nap_process', [1_500]);
    await begun;
    // What a terminal's Ctrl-C does: every process of the group gets SIGINT.
    for (const pid of await pool!.processIsolates()) process.kill(pid, 'SIGINT');
    await result.get({ timeout: 20_000, propagate: false });
    expect(await result.state()).toBe('SUCCESS');
  });

  it('a warm shutdown lets a running pool task finish and store its result', async () => {
    const closing = (pool = await PoolUnderTest.start());
    const begun = pool!.started('pools.nap_process');
    const result = await pool!.client.send('pools.nap_process', [1_500]);
    await begun;
    await closing.app.close();
    pool = undefined;
    const { stored } = await closing.leftInRedis(result.id);
    expect(JSON.parse(stored!)).toMatchObject({ status: 'SUCCESS' });
  });

  it('a cold shutdown stops a child process spinning in a task; it does not outlive the worker', async () => {
    pool = await PoolUnderTest.start();
    const begun = pool!.started('pools.spin_process');
    const result = await pool!.client.send('pools.spin_process', [60_000]);
    await begun;
    const pids = await pool!.processIsolates();
    await pool!.app.get(WorkerService).coldShutdown('test');
    const alive = () => pids.filter((pid) => isAlive(pid));
    await expect.poll(alive, { timeout: 5_000 }).toEqual([]);
    expect(await pool!.leftInRedis(result.id)).toEqual({ stored: null, queued: 1 });
  });

  it('past shutdownTimeout a spinning pool task is requeued, with nothing stored', async () => {
    const closing = (pool = await PoolUnderTest.start({}, { shutdownTimeout: 300 }));
    const begun = pool!.started('pools.spin_process');
    const result = await pool!.client.send('pools.spin_process', [3_000]);
    await begun;
    await closing.app.close();
    pool = undefined;
    expect(await closing.leftInRedis(result.id)).toEqual({ stored: null, queued: 1 });
  });
});
