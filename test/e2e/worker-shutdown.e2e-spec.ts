import { describe, expect, it } from 'vitest';
import { startNodeWorker, uniqueName, type ManagedProcess } from '../support/interop-processes.js';
import { useInteropProducer } from '../support/interop-producer.js';
import { REDIS_URL } from '../support/redis-test-server.js';

/**
 * Graceful shutdown of a real worker process (apps/interop, Redis, shutdownTimeout 5 s) on real
 * signals: SIGTERM lets running tasks finish and requeues the reserved ones; a second SIGTERM
 * exits at once and requeues everything. Nothing is lost either way.
 */

const worker = (queue: string, concurrency: number): Promise<ManagedProcess> =>
  startNodeWorker({ broker: REDIS_URL, backend: REDIS_URL, queues: [queue], concurrency });

const producer = useInteropProducer();

describe('worker shutdown on signals', () => {
  it('SIGTERM: running tasks finish, reserved ones are requeued, none is lost', async () => {
    const queue = uniqueName('shutdown-term');
    const first = await worker(queue, 2);
    const results = await Promise.all(
      Array.from({ length: 6 }, () => producer().send<number>('interop.sleep', [1], { queue })),
    );
    await new Promise((r) => setTimeout(r, 300));
    const stopping = Date.now();
    first.child.kill('SIGTERM');
    // A clean shutdown exits 0 (handleShutdownSignals), not 143 from a re-raised SIGTERM.
    expect(await first.exited).toEqual({ code: 0, signal: null });
    // It waited for the two running tasks (1 s), not for the four reserved ones (4 × 1 s / 2).
    expect(Date.now() - stopping).toBeLessThan(4_500);
    expect(first.output).toMatch(/SIGTERM received: warm shutdown/);
    expect(first.output).toMatch(/Warm shutdown: waiting up to 5000 ms for 2 running task/);
    expect(first.output).toMatch(/Shut down cleanly; exiting with code 0\./);
    const second = await worker(queue, 6);
    await expect(Promise.all(results.map((r) => r.get({ timeout: 20_000 })))).resolves.toEqual(
      Array(6).fill(1),
    );
    await second.stop();
  });

  it('a second SIGTERM exits at once and requeues the running tasks', async () => {
    const queue = uniqueName('shutdown-twice');
    const first = await worker(queue, 2);
    const results = await Promise.all(
      Array.from({ length: 2 }, () => producer().send<number>('interop.sleep', [3], { queue })),
    );
    await new Promise((r) => setTimeout(r, 500));
    const stopping = Date.now();
    first.child.kill('SIGTERM');
    await first.waitFor(/Warm shutdown/, 5_000);
    first.child.kill('SIGTERM');
    const { code } = await first.exited;
    expect(Date.now() - stopping).toBeLessThan(2_500); // did not wait for the 3 s tasks
    expect(code).toBe(1);
    expect(first.output).toMatch(/Second SIGTERM: cold shutdown, requeueing everything/);
    const second = await worker(queue, 2);
    await expect(Promise.all(results.map((r) => r.get({ timeout: 20_000 })))).resolves.toEqual([
      3, 3,
    ]);
    await second.stop();
  });
});
