import { Logger, Module, type INestApplicationContext } from '@nestjs/common';
import {
  ControlClient,
  TaskClient,
  TaskEvents,
  WorkerService,
  type TaskQueueOptions,
} from 'celeriac';
import { filter, firstValueFrom } from 'rxjs';
import { RedisBroker } from 'celeriac/redis';
import { randomUUID } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../libs/task-queue/src/__fixtures__/create-app.js';
import { PoolTasks } from '../../apps/pools/src/pool.tasks.js';
import { ensureBuilt, POOLS_MODULE } from '../support/interop-build.js';
import { REDIS_URL } from '../support/redis-test-server.js';

/**
 * Isolate pools (issue 17) on a real Redis: `threads` handlers boot the fixture's Nest module
 * in worker threads (apps/pools, built to dist/), with DI; the parent keeps its event loop.
 */
@Module({ providers: [PoolTasks] })
class MainTasks {}

const queue = `pools-${randomUUID()}`;
const prefix = `test-${randomUUID()}:`;
let app: INestApplicationContext;
let client: TaskClient;

async function start(extra: TaskQueueOptions['worker'] = {}): Promise<INestApplicationContext> {
  process.env.POOLS_BROKER = REDIS_URL;
  process.env.POOLS_QUEUE = queue;
  return createApp(
    {
      // A short visibility timeout: a lease that is not renewed lapses within a second.
      broker: new RedisBroker(REDIS_URL, {
        globalKeyprefix: prefix,
        visibilityTimeout: 1,
        restoreInterval: 200,
        leaseRenewalInterval: 250,
      }),
      resultBackend: REDIS_URL,
      defaultQueue: queue,
      resultExpires: 600,
      events: { heartbeatInterval: 0.5 },
      worker: {
        concurrency: 8,
        isolates: { module: POOLS_MODULE, export: 'PoolIsolateModule', size: 2, spare: 1 },
        ...extra,
      },
    },
    [MainTasks],
  );
}

async function meta(id: string): Promise<Record<string, unknown>> {
  const result = client.result(id);
  await result.get({ timeout: 20_000, propagate: false });
  return (await result.meta()) as unknown as Record<string, unknown>;
}

describe('threads pool', () => {
  beforeAll(async () => {
    await ensureBuilt();
    app = await start();
    client = app.get(TaskClient);
  }, 120_000);
  afterAll(async () => {
    await app?.close();
  });

  it('runs a 5 s busy loop in a thread while 100 short tasks finish, once each, on a live loop', async () => {
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const spinStarted = Date.now();
    const spin = await client.send('pools.spin', [5_000]);
    const shorts = await Promise.all(
      Array.from({ length: 100 }, (_, i) => client.send<number>('pools.short', [i])),
    );
    const values = await Promise.all(shorts.map((r) => r.get({ timeout: 20_000 })));
    const shortsDone = Date.now();
    // Remote control answers while the thread spins: `active` names the isolate, `stats` the pool.
    const node = app.get(WorkerService).hostname;
    const control = app.get(ControlClient);
    const active = (await control.active({ destination: [node], timeout: 2_000 }))[node]!;
    expect(active.find((t) => t.id === spin.id)?.worker_pid).not.toBe(process.pid);
    const stats = (await control.stats({ destination: [node], timeout: 2_000 }))[node]!;
    expect(stats.pool).toMatchObject({
      isolates: { threads: { implementation: 'celeriac:threads', 'max-concurrency': 2 } },
    });
    expect(values).toEqual(Array.from({ length: 100 }, (_, i) => i));
    const spun = (await spin.get({ timeout: 20_000 })) as { thread: number; pid: number };
    delay.disable();
    // The short tasks did not wait for the busy loop, and it ran in a thread, not here.
    expect(shortsDone - spinStarted).toBeLessThan(4_000);
    expect(spun.pid).toBe(process.pid);
    expect(spun.thread).not.toBe(0);
    // The parent's loop kept turning (heartbeats every 0.5 s, lease renewal every 0.25 s).
    expect(delay.max / 1e6).toBeLessThan(300);
    // No lease lapsed: nothing was redelivered, so no task ran twice.
    const metas = await Promise.all([spin.id, ...shorts.map((r) => r.id)].map(meta));
    expect(metas.every((m) => m.status === 'SUCCESS')).toBe(true);
    const worker = app.get(WorkerService);
    expect(worker.snapshot().totals['pools.short']).toBe(100);
    expect(worker.snapshot().totals['pools.spin']).toBe(1);
  });

  it('inspect: a task waiting for a free thread is reserved, not active (2 threads, 3 tasks)', async () => {
    const spins = await Promise.all([0, 1, 2].map(() => client.send('pools.spin', [3_000])));
    const ids = new Set(spins.map((r) => r.id));
    const node = app.get(WorkerService).hostname;
    const control = app.get(ControlClient);
    const ours = async (state: 'active' | 'reserved') =>
      ((await control[state]({ destination: [node], timeout: 2_000 }))[node] ?? []).filter((t) =>
        ids.has(t.id as string),
      );
    await expect.poll(async () => (await ours('active')).length, { timeout: 5_000 }).toBe(2);
    const [active, reserved] = await Promise.all([ours('active'), ours('reserved')]);
    expect(active.every((t) => t.worker_pid !== process.pid)).toBe(true);
    expect(reserved).toHaveLength(1);
    expect(reserved[0]).toMatchObject({ worker_pid: null, time_start: null });
    await Promise.all(spins.map((r) => r.get({ timeout: 20_000 })));
  });

  it('stops a synchronous handler at its hard time limit and stores TimeLimitExceeded', async () => {
    const events = app.get(TaskEvents);
    const started = firstValueFrom(
      events.on('task-started').pipe(filter((e) => e.name === 'pools.limited')),
    );
    const result = await client.send('pools.limited', [3_000]);
    const stored = await meta(result.id);
    expect(stored.status).toBe('FAILURE');
    expect((stored.result as Record<string, unknown>).exc_type).toBe('TimeLimitExceeded');
    // 0.5 s limit on a 3 s loop that never yields: the FAILURE is written (its date_done)
    // within 50 ms past the deadline.
    const late = new Date(stored.date_done as string).getTime() - (await started).timestamp - 500;
    expect(late).toBeGreaterThanOrEqual(0);
    expect(late).toBeLessThan(50);
    // A spare took over: the pool still has two serving isolates and answers.
    expect(await (await client.send('pools.whoami')).get({ timeout: 10_000 })).toBeTruthy();
  });

  it('builds the handler with DI in the isolate: TaskContext, arguments, soft limit', async () => {
    const result = await client.send('pools.context', [2], { b: 3 });
    const value = (await result.get({ timeout: 10_000 })) as Record<string, unknown>;
    expect(value).toMatchObject({
      id: result.id,
      sum: 5,
      aborted: 'SoftTimeLimitExceededError',
      hostname: app.get(WorkerService).hostname,
    });
  });

  it.each(['pools.soft_node_api', 'pools.soft_node_api_process'])(
    '%s: its signal passed to a Node API, it fails as SoftTimeLimitExceeded, not AbortError',
    async (name) => {
      const stored = await meta((await client.send(name)).id);
      expect(stored.status).toBe('FAILURE');
      expect((stored.result as Record<string, unknown>).exc_type).toBe('SoftTimeLimitExceeded');
    },
  );

  it('an AbortError of another signal, after the soft limit, stays the handler own error', async () => {
    const stored = await meta((await client.send('pools.soft_foreign_abort')).id);
    expect(stored.status).toBe('FAILURE');
    expect((stored.result as Record<string, unknown>).exc_type).toBe('AbortError');
  });

  it('fails only the crashed task with WorkerLostError and replaces the isolate', async () => {
    const exit = await meta((await client.send('pools.crash', ['exit'])).id);
    expect((exit.result as Record<string, unknown>).exc_type).toBe('WorkerLostError');
    const uncaught = await meta((await client.send('pools.crash', ['uncaught'])).id);
    expect((uncaught.result as Record<string, unknown>).exc_type).toBe('WorkerLostError');
    const requeued = await client.send('pools.crash_once');
    expect(await requeued.get({ timeout: 20_000 })).toBe('second delivery');
    expect(await (await client.send('pools.whoami')).get({ timeout: 10_000 })).toBeTruthy();
  });

  it('a timer a returned task left behind kills its idle isolate: logged with that task, replaced', async () => {
    const error = vi.spyOn(Logger.prototype, 'error');
    try {
      const leaky = await client.send('pools.leaky_timer');
      expect(await leaky.get({ timeout: 20_000 })).toBe('returned');
      await vi.waitFor(
        () => {
          const lines = error.mock.calls.map((call) => String(call[0]));
          const line = lines.find((l) => l.includes('thrown by a timer a task left behind'));
          expect(line).toContain(`pools.leaky_timer[${leaky.id}]`);
          expect(line).toContain('No task was running on it');
        },
        { timeout: 10_000 },
      );
      expect(await leaky.state()).toBe('SUCCESS');
      expect(await (await client.send('pools.whoami')).get({ timeout: 10_000 })).toBeTruthy();
    } finally {
      error.mockRestore();
    }
  });

  it("records the tasks a handler sent from its thread as the result's children", async () => {
    const result = await client.send<string[]>('pools.fanout', [3]);
    const sent = await result.get({ timeout: 20_000 });
    expect(sent).toHaveLength(3);
    expect((await result.children()).map((c) => c.id)).toEqual(sent);
  });

  it.each(['pools.fanout', 'pools.fanout_inline'])(
    '%s: a FAILURE also lists what the task sent before failing, as Celery records it',
    async (name) => {
      const failed = await client.send(name, [2, true]);
      await failed.get({ timeout: 20_000, propagate: false });
      expect(await failed.state()).toBe('FAILURE');
      expect(await failed.children()).toHaveLength(2);
    },
  );

  it('stores errors and unencodable values as a clear FAILURE', async () => {
    const failed = await meta((await client.send('pools.fails')).id);
    expect(failed.result).toMatchObject({
      exc_type: 'RangeError',
      exc_message: ['out of range in an isolate'],
    });
    const cyclic = await meta((await client.send('pools.cyclic')).id);
    expect((cyclic.result as Record<string, unknown>).exc_type).toBe('UnserializableValueError');
  });

  it('returns NaN from an isolate as a Python task returns float("nan")', async () => {
    const mean = await client.send<number>('pools.mean', [[]]);
    await expect(mean.get({ timeout: 20_000 })).resolves.toBeNaN();
  });
});
