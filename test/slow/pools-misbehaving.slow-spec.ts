import { Logger, Module, type INestApplicationContext } from '@nestjs/common';
import {
  ControlClient,
  RevokedTasks,
  TaskClient,
  TaskEvents,
  WorkerService,
  type WorkerOptions,
} from 'celeriac';
import { Redis } from 'ioredis';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { filter, firstValueFrom } from 'rxjs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../libs/task-queue/src/__fixtures__/create-app.js';
import { PoolTasks } from '../../apps/pools/src/pool.tasks.js';
import { ensureBuilt } from '../support/interop-build.js';
import { REDIS_URL } from '../support/redis-test-server.js';
import { poolAppOptions } from '../support/pool-app.js';

/**
 * Handlers that misbehave in isolate pools, on a real Redis: each time only their task fails
 * (or is requeued), the isolate is replaced, and the worker goes on serving.
 */
const run = promisify(execFile);
const PYTHON_FIXTURES = join(import.meta.dirname, '../fixtures/python');

@Module({ providers: [PoolTasks] })
class MainTasks {}

let app: INestApplicationContext | undefined;
let client: TaskClient;
let queue: string;

async function start(
  isolates: Partial<NonNullable<WorkerOptions['isolates']>> = {},
  worker: Partial<WorkerOptions> = {},
): Promise<INestApplicationContext> {
  const pool = poolAppOptions({ concurrency: 8, ...worker }, { size: 2, spare: 1, ...isolates });
  queue = pool.queue;
  app = await createApp(pool.options, [MainTasks]);
  client = app.get(TaskClient);
  return app;
}

async function failure(name: string, args: unknown[] = []): Promise<Record<string, unknown>> {
  const result = await client.send(name, args);
  await result.get({ timeout: 20_000, propagate: false });
  const meta = await result.meta();
  expect(meta?.status).toBe('FAILURE');
  return meta!.result as Record<string, unknown>;
}

function started(name: string): Promise<unknown> {
  return firstValueFrom(
    app!
      .get(TaskEvents)
      .on('task-started')
      .pipe(filter((e) => e.name === name)),
  );
}

/** The pids of the serving process isolates, from `inspect stats`. */
async function processIsolates(): Promise<number[]> {
  const node = app!.get(WorkerService).hostname;
  const stats = (await app!.get(ControlClient).stats({ destination: [node], timeout: 2_000 }))[
    node
  ]!;
  const pool = stats.pool as { isolates: { processes: { processes: number[] } } };
  return pool.isolates.processes.processes;
}

/** What a closed app left in Redis: the stored result of `id` and the queue's length. */
async function leftInRedis(id: string): Promise<{ stored: string | null; queued: number }> {
  const redis = new Redis(REDIS_URL);
  try {
    return { stored: await redis.get(`celery-task-meta-${id}`), queued: await redis.llen(queue) };
  } finally {
    await redis.quit();
  }
}

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
  await app?.close();
  app = undefined;
});

describe('misbehaving handlers in a threads pool', () => {
  it('a loop past both limits, a promise that never settles, unencodable results; 6 tasks on 2 threads', async () => {
    await start();
    const warn = vi.spyOn(Logger.prototype, 'warn');
    const forever = await client.send('pools.forever');
    await forever.get({ timeout: 20_000, propagate: false });
    expect((await forever.meta())?.result).toMatchObject({ exc_type: 'TimeLimitExceeded' });
    // The log says the isolate was stopped for it, and that a spare took over.
    expect(warn.mock.calls.map(([line]) => String(line))).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `pools.forever\\[${forever.id}\\] exceeded its hard time limit \\(0.6 s\\): stopping its threads isolate \\(\\d+\\); a spare takes its place`,
        ),
      ),
    );
    warn.mockRestore();
    expect((await failure('pools.hang')).exc_type).toBe('TimeLimitExceeded');
    expect((await failure('pools.unclonable', ['function'])).exc_type).toBe(
      'UnserializableValueError',
    );
    // A result whose getter throws fails as unencodable, naming where (as in inline mode).
    expect(await failure('pools.unclonable', ['getter'])).toMatchObject({
      exc_type: 'UnserializableValueError',
      exc_message: [expect.stringMatching(/reading it threw Error: getter exploded at \$\.boom/)],
    });
    const spins = await Promise.all(
      Array.from({ length: 6 }, () => client.send('pools.spin', [200])),
    );
    await Promise.all(spins.map((r) => r.get({ timeout: 20_000 })));
  });

  it('a leak past maxHeapMb fails its task with WorkerLostError, and the pool serves on', async () => {
    await start({ maxHeapMb: 96 });
    const lost = await failure('pools.leak');
    expect(lost).toMatchObject({
      exc_type: 'WorkerLostError',
      exc_message: [expect.stringContaining('ERR_WORKER_OUT_OF_MEMORY')],
    });
    expect(await (await client.send('pools.whoami')).get({ timeout: 20_000 })).toBeTruthy();
  });
});

describe('misbehaving handlers in a processes pool', () => {
  it('counts the hard limit from when an isolate takes the task, not while it waits for one', async () => {
    await start({ size: 1, spare: 0 }, { concurrency: 4 });
    const sent = await Promise.all(
      Array.from({ length: 3 }, () => client.send('pools.limited', [200])),
    );
    const metas = await Promise.all(
      sent.map(async (r) => {
        await r.get({ timeout: 30_000, propagate: false });
        return (await r.meta())!;
      }),
    );
    // 0.2 s each on the only thread, limit 0.5 s: the third ends 0.6 s after it was taken.
    expect(metas.map((m) => m.result)).toEqual(['finished', 'finished', 'finished']);
  });

  it('a loop past both limits, process.exit, an uncaught throw and a leak fail only their task', async () => {
    await start({ maxHeapMb: 96 });
    expect((await failure('pools.forever_process')).exc_type).toBe('TimeLimitExceeded');
    expect(await failure('pools.crash_process', ['exit'])).toMatchObject({
      exc_type: 'WorkerLostError',
      exc_message: ['Worker exited prematurely: process exited with code 3.'],
    });
    // The stored error says why the child died, as for a thread: the uncaught error, the heap.
    expect(await failure('pools.crash_process', ['uncaught'])).toMatchObject({
      exc_type: 'WorkerLostError',
      exc_message: [expect.stringContaining('Error: uncaught in an isolate')],
    });
    expect(await failure('pools.leak_process')).toMatchObject({
      exc_type: 'WorkerLostError',
      exc_message: [expect.stringMatching(/SIGABRT.*out of memory.*maxHeapMb: 96/)],
    });
    expect(await (await client.send('pools.whoami_process')).get({ timeout: 20_000 })).toBeTruthy();
  });

  it('ctx.retry from a child process (an eta, then a countdown with an error) runs it again', async () => {
    await start();
    const retried = await client.send('pools.retry_process');
    expect(await retried.get({ timeout: 20_000 })).toEqual({ retries: 2 });
  });

  it('revoke with terminate stops the child and stores REVOKED', async () => {
    await start();
    const begun = started('pools.nap_process');
    const result = await client.send('pools.nap_process', [10_000]);
    await begun;
    await app!.get(RevokedTasks).revoke(result.id, { terminate: true });
    await expect.poll(() => result.state(), { timeout: 5_000 }).toBe('REVOKED');
    expect(await (await client.send('pools.whoami_process')).get({ timeout: 20_000 })).toBeTruthy();
  });

  it('revoke --terminate from Python Celery stops the child and names the task in its reply', async () => {
    await start();
    const begun = started('pools.nap_process');
    const result = await client.send('pools.nap_process', [10_000]);
    await begun;
    const node = app!.get(WorkerService).hostname;
    const { stdout } = await run('/usr/bin/python3', [
      join(PYTHON_FIXTURES, 'revoke_terminate.py'),
      REDIS_URL,
      result.id,
      node,
    ]);
    expect(JSON.parse(stdout)).toEqual([{ [node]: { ok: `terminate: ${result.id}` } }]);
    await expect.poll(() => result.state(), { timeout: 5_000 }).toBe('REVOKED');
    expect(await (await client.send('pools.whoami_process')).get({ timeout: 20_000 })).toBeTruthy();
  });

  it('runs 30 tasks on 2 child processes holding 2 each, recycled every 3 tasks, once each', async () => {
    await start({ size: 2, spare: 1, inFlight: 2, maxTasksPerChild: 3 });
    const sent = await Promise.all(
      Array.from({ length: 30 }, (_, i) => client.send('pools.nap_process', [20 + (i % 5) * 10])),
    );
    const metas = await Promise.all(
      sent.map(async (r) => {
        await r.get({ timeout: 30_000, propagate: false });
        return (await r.meta())!;
      }),
    );
    expect(metas.every((m) => m.status === 'SUCCESS')).toBe(true);
    // Recycled every 3 tasks: no child ran more than 3 (a child retired early makes 11 pids).
    const perPid = new Map<number, number>();
    for (const m of metas) {
      const pid = (m.result as { pid: number }).pid;
      perPid.set(pid, (perPid.get(pid) ?? 0) + 1);
    }
    expect(Math.max(...perPid.values())).toBeLessThanOrEqual(3);
    expect(perPid.size).toBeGreaterThanOrEqual(10);
    expect(app!.get(WorkerService).snapshot().totals['pools.nap_process']).toBe(30);
  });

  it('a SIGINT to the process group (Ctrl-C) leaves the running task to the warm shutdown', async () => {
    await start();
    const begun = started('pools.nap_process');
    const result = await client.send('pools.nap_process', [1_500]);
    await begun;
    // What a terminal's Ctrl-C does: every process of the group gets SIGINT.
    for (const pid of await processIsolates()) process.kill(pid, 'SIGINT');
    await result.get({ timeout: 20_000, propagate: false });
    expect(await result.state()).toBe('SUCCESS');
  });

  it('a warm shutdown lets a running pool task finish and store its result', async () => {
    const closing = await start();
    const begun = started('pools.nap_process');
    const result = await client.send('pools.nap_process', [1_500]);
    await begun;
    await closing.close();
    app = undefined;
    const { stored } = await leftInRedis(result.id);
    expect(JSON.parse(stored!)).toMatchObject({ status: 'SUCCESS' });
  });

  it('a cold shutdown stops a child process spinning in a task; it does not outlive the worker', async () => {
    await start();
    const begun = started('pools.spin_process');
    const result = await client.send('pools.spin_process', [60_000]);
    await begun;
    const pids = await processIsolates();
    await app!.get(WorkerService).coldShutdown('test');
    const alive = () => pids.filter((pid) => isAlive(pid));
    await expect.poll(alive, { timeout: 5_000 }).toEqual([]);
    expect(await leftInRedis(result.id)).toEqual({ stored: null, queued: 1 });
  });

  it('past shutdownTimeout a spinning pool task is requeued, with nothing stored', async () => {
    const closing = await start({}, { shutdownTimeout: 300 });
    const begun = started('pools.spin_process');
    const result = await client.send('pools.spin_process', [3_000]);
    await begun;
    await closing.close();
    app = undefined;
    expect(await leftInRedis(result.id)).toEqual({ stored: null, queued: 1 });
  });
});
