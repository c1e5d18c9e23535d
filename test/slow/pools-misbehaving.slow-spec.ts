import { Logger } from '@nestjs/common';
import { WorkerService } from 'celeriac';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ensureBuilt } from '../support/interop-build.js';
import { PoolUnderTest } from '../support/pool-under-test.js';

/**
 * Handlers that misbehave in isolate pools, on a real Redis: each time only their task fails
 * (or is requeued), the isolate is replaced, and the worker goes on serving. Revoking a pool
 * task and stopping the worker under one: pools-stopping.slow-spec.ts.
 */
let pool: PoolUnderTest | undefined;

beforeAll(() => ensureBuilt(), 120_000);
afterEach(async () => {
  await pool?.app.close();
  pool = undefined;
});

describe('misbehaving handlers in a threads pool', () => {
  it('a loop past both limits, a promise that never settles, unencodable results; 6 tasks on 2 threads', async () => {
    pool = await PoolUnderTest.start();
    const warn = vi.spyOn(Logger.prototype, 'warn');
    const forever = await pool!.client.send('pools.forever');
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
    expect((await pool!.failure('pools.hang')).exc_type).toBe('TimeLimitExceeded');
    expect((await pool!.failure('pools.unclonable', ['function'])).exc_type).toBe(
      'UnserializableValueError',
    );
    // A result whose getter throws fails as unencodable, naming where (as in inline mode).
    expect(await pool!.failure('pools.unclonable', ['getter'])).toMatchObject({
      exc_type: 'UnserializableValueError',
      exc_message: [expect.stringMatching(/reading it threw Error: getter exploded at \$\.boom/)],
    });
    const spins = await Promise.all(
      Array.from({ length: 6 }, () => pool!.client.send('pools.spin', [200])),
    );
    await Promise.all(spins.map((r) => r.get({ timeout: 20_000 })));
  });

  it('a leak past maxHeapMb fails its task with WorkerLostError, and the pool serves on', async () => {
    pool = await PoolUnderTest.start({ maxHeapMb: 96 });
    const lost = await pool!.failure('pools.leak');
    expect(lost).toMatchObject({
      exc_type: 'WorkerLostError',
      exc_message: [expect.stringContaining('ERR_WORKER_OUT_OF_MEMORY')],
    });
    expect(await (await pool!.client.send('pools.whoami')).get({ timeout: 20_000 })).toBeTruthy();
  });
});

describe('misbehaving handlers in a processes pool', () => {
  it('counts the hard limit from when an isolate takes the task, not while it waits for one', async () => {
    pool = await PoolUnderTest.start({ size: 1, spare: 0 }, { concurrency: 4 });
    const sent = await Promise.all(
      Array.from({ length: 3 }, () => pool!.client.send('pools.limited', [200])),
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
    pool = await PoolUnderTest.start({ maxHeapMb: 96 });
    expect((await pool!.failure('pools.forever_process')).exc_type).toBe('TimeLimitExceeded');
    expect(await pool!.failure('pools.crash_process', ['exit'])).toMatchObject({
      exc_type: 'WorkerLostError',
      exc_message: ['Worker exited prematurely: process exited with code 3.'],
    });
    // The stored error says why the child died, as for a thread: the uncaught error, the heap.
    expect(await pool!.failure('pools.crash_process', ['uncaught'])).toMatchObject({
      exc_type: 'WorkerLostError',
      exc_message: [expect.stringContaining('Error: uncaught in an isolate')],
    });
    expect(await pool!.failure('pools.leak_process')).toMatchObject({
      exc_type: 'WorkerLostError',
      exc_message: [expect.stringMatching(/SIGABRT.*out of memory.*maxHeapMb: 96/)],
    });
    expect(
      await (await pool!.client.send('pools.whoami_process')).get({ timeout: 20_000 }),
    ).toBeTruthy();
  });

  it('ctx.retry from a child process (an eta, then a countdown with an error) runs it again', async () => {
    pool = await PoolUnderTest.start();
    const retried = await pool!.client.send('pools.retry_process');
    expect(await retried.get({ timeout: 20_000 })).toEqual({ retries: 2 });
  });

  it('runs 30 tasks on 2 child processes holding 2 each, recycled every 3 tasks, once each', async () => {
    pool = await PoolUnderTest.start({ size: 2, spare: 1, inFlight: 2, maxTasksPerChild: 3 });
    const sent = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        pool!.client.send('pools.nap_process', [20 + (i % 5) * 10]),
      ),
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
    expect(pool!.app.get(WorkerService).snapshot().totals['pools.nap_process']).toBe(30);
  });
});
