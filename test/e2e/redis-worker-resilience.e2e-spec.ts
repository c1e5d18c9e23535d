import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  countEvents,
  startNodeWorker,
  uniqueName,
  type ManagedProcess,
} from '../support/interop-processes.js';
import { InteropProducer, useInteropProducer } from '../support/interop-producer.js';
import { PrivateRedisServer, REDIS_URL } from '../support/redis-test-server.js';

/**
 * Worker-level resilience of the Redis transport with real worker processes: SIGKILL mid-task,
 * lease renewal of long tasks, and a Redis restart while tasks stream in. The workers take the
 * visibility timeout from the broker URL (kombu names), see interop-resilient-worker.ts.
 */

const producer = useInteropProducer();
const workers: ManagedProcess[] = [];

async function worker(
  queue: string,
  query: string,
  concurrency = 1,
  url = REDIS_URL,
): Promise<ManagedProcess> {
  const started = await startNodeWorker({
    broker: `${url}?${query}`,
    backend: url,
    queues: [queue],
    concurrency,
    resilient: true,
  });
  workers.push(started);
  return started;
}

/** Is the task's message still recorded as delivered-but-unacked (kombu `unacked`)? */
async function unacked(id: string): Promise<boolean> {
  const redis = new Redis(REDIS_URL);
  try {
    return (await redis.hvals('unacked')).some((entry) => entry.includes(id));
  } finally {
    redis.disconnect();
  }
}

afterAll(async () => {
  await Promise.all(workers.map((w) => w.kill('SIGKILL')));
});

describe('Redis worker resilience', () => {
  it('redelivers the task of a SIGKILLed worker after the visibility timeout; it completes once', async () => {
    const queue = uniqueName('resil-kill');
    const query = 'visibility_timeout=2&unacked_restore_interval=0.5';
    const first = await worker(queue, query);
    const result = await producer().send<number>('interop.sleep', [1.5], { queue });
    await first.waitFor(new RegExp(`EVENT task-started ${result.id}`), 10_000);
    await first.kill('SIGKILL');
    expect(await unacked(result.id)).toBe(true);

    const second = await worker(queue, query);
    expect(await result.get({ timeout: 20_000 })).toBe(1.5);
    await sleep(2_500); // longer than the visibility timeout: no further redelivery
    expect(countEvents(first, 'task-succeeded', result.id)).toBe(0);
    expect(countEvents(second, 'task-started', result.id)).toBe(1);
    expect(countEvents(second, 'task-succeeded', result.id)).toBe(1);
    expect(second.output).toMatch(/Restored 1 message\(s\) left unacknowledged/);
    expect(await unacked(result.id)).toBe(false);
  });

  it('does not redeliver a task that outlives the visibility timeout while its worker lives', async () => {
    const queue = uniqueName('resil-lease');
    // The task runs more than twice the visibility timeout; leases are renewed every 0.75 s,
    // which leaves room for event-loop stalls when the whole suite runs in parallel.
    const query = 'visibility_timeout=3&unacked_restore_interval=0.25';
    const [a, b] = await Promise.all([worker(queue, query, 2), worker(queue, query, 2)]);
    const result = await producer().send<number>('interop.sleep', [7], { queue });
    expect(await result.get({ timeout: 30_000 })).toBe(7);
    await sleep(1_500);
    const started =
      countEvents(a, 'task-started', result.id) + countEvents(b, 'task-started', result.id);
    expect(started).toBe(1);
    expect(a.output + b.output).not.toMatch(/Restored \d+ message/);
  });

  it('a promise a task left rejecting is logged with its stack; the worker lives and serves on', async () => {
    const queue = uniqueName('resil-stray');
    const w = await startNodeWorker({ broker: REDIS_URL, backend: REDIS_URL, queues: [queue] });
    workers.push(w);
    const stray = await producer().send<string>('interop.stray_rejection', ['nobody awaited'], {
      queue,
    });
    await expect(stray.get({ timeout: 10_000 })).resolves.toBe('returned');
    // Was: Node ended the worker on the unhandled rejection (exit code 1).
    await w.waitFor(/Unhandled promise rejection: InteropError: nobody awaited\. /);
    expect(w.output).toMatch(/at InteropTasks\.strayRejection/);
    const next = await producer().send<number>('interop.add', [2, 3], { queue });
    await expect(next.get({ timeout: 10_000 })).resolves.toBe(5);
    expect(w.running).toBe(true);
  });

  it('an exception a task left for a timer ends the worker with a line naming the task', async () => {
    const queue = uniqueName('resil-throw');
    const w = await startNodeWorker({ broker: REDIS_URL, backend: REDIS_URL, queues: [queue] });
    workers.push(w);
    const stray = await producer().send<string>('interop.stray_throw', ['thrown later'], { queue });
    await expect(stray.get({ timeout: 10_000 })).resolves.toBe('returned');
    // Node ends the process, as on any uncaught exception (known limits); the log says which
    // task's callback threw and what to do, which Node's own report does not.
    const { code } = await w.exited;
    expect(code).not.toBe(0);
    expect(w.output).toContain(
      `Uncaught exception in task interop.stray_throw[${stray.id}], outside its promise`,
    );
    expect(w.output).toMatch(/thrown later\. Node ends the worker process now/);
  });

  describe('Redis restarted mid-stream', () => {
    let server: PrivateRedisServer;
    let privateProducer: InteropProducer | undefined;

    beforeAll(async () => {
      server = await PrivateRedisServer.start({ durable: true });
    });

    afterAll(async () => {
      await privateProducer?.close().catch(() => undefined);
      await server?.destroy();
    });

    it('completes every task', async () => {
      const queue = uniqueName('resil-restart');
      const streamWorker = await startNodeWorker({
        broker: server.url,
        backend: server.url,
        queues: [queue],
        concurrency: 4,
      });
      workers.push(streamWorker);
      privateProducer = await InteropProducer.open(server.url);
      const producerOnPrivate = privateProducer;
      const results = [];
      for (let i = 0; i < 30; i++) {
        if (i === 10) {
          await server.kill();
          setTimeout(() => void server.restart(), 1_000);
        }
        results.push(await producerOnPrivate.send<number>('interop.add', [i, i], { queue }));
        await sleep(30);
      }
      const values = await Promise.all(results.map((r) => r.get({ timeout: 30_000 })));
      expect(values).toEqual(results.map((_, i) => 2 * i));
      expect(streamWorker.running).toBe(true);
    });
  });

  it('stopped while the result backend is down: the finished task is requeued, and the log says it runs again', async () => {
    const backend = await PrivateRedisServer.start();
    const queue = uniqueName('resil-unstored');
    try {
      const w = await startNodeWorker({
        broker: REDIS_URL,
        backend: backend.url,
        queues: [queue],
        shutdownTimeout: 1_000,
        resilient: true,
      });
      workers.push(w);
      const result = await producer().send<number>('interop.sleep', [0.5], { queue });
      await w.waitFor(new RegExp(`EVENT task-started ${result.id}`), 10_000);
      await backend.kill();
      await w.waitFor(new RegExp(`Could not store SUCCESS of task ${result.id}`), 20_000);
      expect(await unacked(result.id)).toBe(true); // not acked before its result is stored

      await w.kill('SIGTERM');
      await w.exited;
      // Was: only "Requeued 1 unfinished task(s)", for a task that had finished.
      expect(w.output).toMatch(
        new RegExp(
          `interop.sleep\\[${result.id}\\] ran, but its outcome was not stored in the result ` +
            `backend before the worker stopped; its message was requeued and the task will run again`,
        ),
      );
      expect(await unacked(result.id)).toBe(false);
      const redis = new Redis(REDIS_URL);
      try {
        expect((await redis.lrange(queue, 0, -1)).some((e) => e.includes(result.id))).toBe(true);
      } finally {
        redis.disconnect();
      }
    } finally {
      await backend.kill();
    }
  });

  it('a Redis restarted empty (no persistence) under running tasks: they finish, their acks are no-ops, new work runs', async () => {
    const empty = await PrivateRedisServer.start();
    const queue = uniqueName('resil-empty');
    const w = await worker(queue, 'unacked_restore_interval=0.5', 4, empty.url);
    const onEmpty = await InteropProducer.open(empty.url);
    try {
      const running = [];
      for (let i = 0; i < 4; i++) {
        running.push(await onEmpty.send<number>('interop.sleep', [1.5], { queue }));
      }
      for (const r of running) await w.waitFor(new RegExp(`EVENT task-started ${r.id}`), 10_000);
      await empty.kill();
      await empty.start();
      // Their results go to the new, empty server; their unacked entries are gone.
      for (const r of running) await w.waitFor(new RegExp(`EVENT task-succeeded ${r.id}`), 10_000);
      const next = await onEmpty.send<number>('interop.add', [2, 3], { queue });
      await expect(next.get({ timeout: 20_000 })).resolves.toBe(5);
      await expect(running[0]!.get({ timeout: 5_000 })).resolves.toBe(1.5);
      expect(w.running).toBe(true);
      expect(w.output).not.toMatch(/ERROR|Unhandled|NOSCRIPT/);
    } finally {
      await onEmpty.close().catch(() => undefined);
      await empty.kill();
    }
  });
});
