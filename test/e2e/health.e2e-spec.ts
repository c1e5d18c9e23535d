import type { INestApplicationContext } from '@nestjs/common';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { TaskClient } from 'celeriac';
import { ManagedProcess, killAllChildren } from '../support/managed-process.js';
import { deleteKeys, PrivateRedisServer, REDIS_URL } from '../support/redis-test-server.js';
import { createTaskQueueApp, LOOPBACK_HTTP, workerHttpBase } from '../support/task-queue-app.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll a URL every `everyMs` and record each answer's status with its time. */
class Poller {
  readonly answers: { at: number; status: number }[] = [];
  private stopped = false;
  readonly done: Promise<void>;

  constructor(url: string, everyMs: number) {
    this.done = (async () => {
      while (!this.stopped) {
        const at = Date.now();
        const status = await fetch(url, { signal: AbortSignal.timeout(1_000) }).then(
          (r) => r.status,
          () => 0,
        );
        this.answers.push({ at, status });
        await sleep(everyMs);
      }
    })();
  }

  /** The time of the first answer at or after `since` with `status`. */
  firstAt(status: number, since: number): number | undefined {
    return this.answers.find((a) => a.at >= since && a.status === status)?.at;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }
}

describe('health probes during a Redis outage', () => {
  let redis: PrivateRedisServer | undefined;
  let app: INestApplicationContext | undefined;

  afterEach(async () => {
    await app?.close();
    await redis?.destroy();
    app = undefined;
    redis = undefined;
  });

  it('keeps liveness up, takes readiness down within 2 s and back after recovery', async () => {
    redis = await PrivateRedisServer.start();
    app = await createTaskQueueApp({
      broker: redis.url,
      resultBackend: redis.url,
      worker: { http: LOOPBACK_HTTP },
    });
    const base = workerHttpBase(app);
    const live = new Poller(`${base}/health/live`, 100);
    const ready = new Poller(`${base}/health/ready`, 100);
    await expect.poll(() => ready.answers.at(-1)?.status).toBe(200);

    const killedAt = Date.now();
    await redis.kill();
    await expect.poll(() => ready.firstAt(503, killedAt), { timeout: 5_000 }).toBeDefined();
    const downAfter = ready.firstAt(503, killedAt)! - killedAt;
    // Outage for a few probe periods, then recovery.
    await sleep(1_500);
    const restartedAt = Date.now();
    await redis.restart();
    await expect.poll(() => ready.firstAt(200, restartedAt), { timeout: 15_000 }).toBeDefined();
    await live.stop();
    await ready.stop();

    console.log(`readiness down ${downAfter} ms after the Redis kill`);
    expect(downAfter).toBeLessThanOrEqual(2_000);
    expect(live.answers.length).toBeGreaterThan(10);
    expect(live.answers.filter((a) => a.status !== 200)).toEqual([]);
  });
});

describe('readiness at SIGTERM', () => {
  const queue = `health-${randomUUID()}`;
  afterAll(async () => {
    await killAllChildren();
    await deleteKeys(REDIS_URL, queue, `_kombu.binding.${queue}`);
  });

  it('goes down at once, while the running tasks still finish, and the process exits 0', async () => {
    const child = new ManagedProcess(
      'health-worker',
      spawn(
        process.execPath,
        [
          'test/fixtures/transaction-run-ts.mjs',
          'test/fixtures/health-worker.ts',
          REDIS_URL,
          queue,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      ),
    );
    await child.waitFor(/listening \d+/);
    const port = /listening (\d+)/.exec(child.output)![1];
    const base = `http://127.0.0.1:${port}`;

    const producer = await createTaskQueueApp({
      broker: REDIS_URL,
      resultBackend: false,
      defaultQueue: queue,
      worker: { enabled: false },
    });
    try {
      await producer.get(TaskClient).send('health.slow', [3_000]);
      // The task runs: the worker reports a busy slot.
      await expect
        .poll(async () => (await (await fetch(`${base}/health/ready`)).json()) as object, {
          timeout: 15_000,
        })
        .toMatchObject({ details: { consumer: { busy: 1 } } });

      const signalled = performance.now();
      child.child.kill('SIGTERM');
      let status = 0;
      let downAfterMs = 0;
      while (status !== 503) {
        status = (await fetch(`${base}/health/ready`)).status;
        downAfterMs = performance.now() - signalled;
      }
      // Down before the running task finished, and still served (503) during the drain.
      expect(child.output).not.toMatch(/finished 3000/);
      const during = await fetch(`${base}/health/ready`);
      expect(during.status).toBe(503);
      expect(await during.json()).toMatchObject({ status: 'shutting_down' });
      // Liveness stays up while draining.
      expect((await fetch(`${base}/health/live`)).status).toBe(200);
      await expect(child.exited).resolves.toEqual({ code: 0, signal: null });
      expect(child.output).toMatch(/finished 3000/);
      console.log(`readiness down ${downAfterMs.toFixed(1)} ms after SIGTERM`);
    } finally {
      await producer.close();
    }
  });
});
