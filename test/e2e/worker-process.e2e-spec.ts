import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, ROOT, WORKER_MAIN } from '../support/interop-build.js';
import { ManagedProcess, stopAll, uniqueName } from '../support/interop-processes.js';
import { InteropProducer } from '../support/interop-producer.js';
import { ensurePrometheus, promtoolCheckMetrics } from '../support/prometheus-server.js';
import { freePort, REDIS_URL } from '../support/redis-test-server.js';

/**
 * The worker-only app (`npm run start:worker`, dist/apps/demo/src/worker.main.js) as a process: it stays up
 * until told to stop, even on the memory broker (no socket keeps Node's event loop alive
 * there), and a clean shutdown on SIGTERM exits 0, not 143 (Nest re-raising the signal).
 */

function startWorker(env: NodeJS.ProcessEnv): ManagedProcess {
  const child = spawn(process.execPath, [WORKER_MAIN], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new ManagedProcess('worker.main', child);
}

beforeAll(async () => {
  ensurePrometheus();
  await ensureBuilt();
}, 300_000);
afterAll(async () => {
  await stopAll();
});

describe('worker-only process lifecycle', () => {
  it('stays up on the memory broker until SIGTERM, then exits 0', async () => {
    const worker = startWorker({ CELERIAC_HOSTNAME: `${uniqueName('mem')}@%h` });
    await worker.waitFor(/ready\./);
    // The one timed wait: the old worker exited about 2 s after "ready".
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    expect(worker.running).toBe(true);
    worker.child.kill('SIGTERM');
    await expect(worker.exited).resolves.toEqual({ code: 0, signal: null });
    expect(worker.output).toMatch(/Environment: .*defaults for CELERIAC_BROKER/);
  });

  it('exits 0 after a warm shutdown on Redis', async () => {
    const queue = uniqueName('worker-exit');
    const producer = await InteropProducer.open(REDIS_URL);
    try {
      const worker = startWorker({
        CELERIAC_BROKER: REDIS_URL,
        CELERIAC_RESULT_BACKEND: REDIS_URL,
        CELERIAC_QUEUES: queue,
        CELERIAC_HOSTNAME: `${queue}@%h`,
      });
      await worker.waitFor(/ready\./);
      const sent = await producer.send<{ subject: string }>(
        'notifications.order_confirmation',
        ['ada@example.com', 7, 240],
        { queue },
      );
      await expect(sent.get({ timeout: 20_000 })).resolves.toEqual({
        to: 'ada@example.com',
        subject: 'Order 7 confirmed: 2.40 EUR',
      });
      worker.child.kill('SIGTERM');
      await expect(worker.exited).resolves.toEqual({ code: 0, signal: null });
      expect(worker.output).toContain(`CELERIAC_QUEUES=${queue}`);
    } finally {
      await producer.close();
    }
  });

  it('serves /health/live, /health/ready and promtool-clean /metrics on CELERIAC_HTTP_PORT', async () => {
    const queue = uniqueName('worker-http');
    const port = await freePort();
    const worker = startWorker({
      CELERIAC_BROKER: REDIS_URL,
      CELERIAC_RESULT_BACKEND: REDIS_URL,
      CELERIAC_QUEUES: queue,
      CELERIAC_HOSTNAME: `${queue}@%h`,
      CELERIAC_HTTP_PORT: String(port),
      CELERIAC_HTTP_HOST: '127.0.0.1',
    });
    await worker.waitFor(/ready\./);
    const base = `http://127.0.0.1:${port}`;
    expect((await fetch(`${base}/health/live`)).status).toBe(200);
    await expect.poll(async () => (await fetch(`${base}/health/ready`)).status).toBe(200);
    const metrics = await fetch(`${base}/metrics`);
    expect(metrics.status).toBe(200);
    const body = await metrics.text();
    expect(body).toContain(`celeriac_queue_ready{queue_name="${queue}"}`);
    expect(body).toMatch(/^celeriac_worker_consuming\{/m);
    expect(promtoolCheckMetrics(body)).toBe('');
    worker.child.kill('SIGTERM');
    await expect(worker.exited).resolves.toEqual({ code: 0, signal: null });
  });
});
