import type { INestApplicationContext } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { usePrivateVhost } from '../support/amqp-vhost.js';
import { get } from '../support/metrics-scrape.js';
import { PausableProxy } from '../support/pausable-proxy.js';
import { createTaskQueueApp, LOOPBACK_HTTP, workerHttpBase } from '../support/task-queue-app.js';

/**
 * Readiness while RabbitMQ hangs (its connection open, nothing answered: a paused VM, a
 * partition, a broker stuck on disk): it goes down within seconds, as on Redis, instead of
 * saying the broker is up until the heartbeat declares the connection dead minutes later.
 * Liveness never looks at the broker. And when the connection is lost outright (RabbitMQ down),
 * readiness comes back by itself once it reconnects.
 */
const vhost = usePrivateVhost('health-amqp-hang');

describe('readiness while RabbitMQ does not answer', () => {
  let app: INestApplicationContext | undefined;
  let proxy: PausableProxy | undefined;

  afterEach(async () => {
    proxy?.resume();
    await app?.close();
    await proxy?.close();
  });

  /** A worker whose broker connection runs through the proxy: its HTTP base URL, once ready. */
  async function startWorker(queuePrefix: string): Promise<string> {
    proxy = await PausableProxy.start(5672);
    const queue = `${queuePrefix}-${randomUUID()}`;
    app = await createTaskQueueApp({
      broker: vhost.url.replace(':5672', `:${proxy.port}`),
      resultBackend: false,
      defaultQueue: queue,
      worker: { queues: [queue], http: LOOPBACK_HTTP },
    });
    const base = workerHttpBase(app);
    expect((await get(`${base}/health/ready`)).status).toBe(200);
    return base;
  }

  it('goes down within 2 s, liveness stays up, and readiness comes back with RabbitMQ', async () => {
    const base = await startWorker('health-hang');

    proxy!.pause();
    const started = Date.now();
    const ready = await get(`${base}/health/ready`);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.body)).toMatchObject({
      error: { broker: { status: 'down', message: expect.stringMatching(/did not answer/) } },
    });
    expect((await get(`${base}/health/live`)).status).toBe(200);

    proxy!.resume();
    await expect
      .poll(async () => (await get(`${base}/health/ready`)).status, { timeout: 20_000 })
      .toBe(200);
  });

  it('a lost connection: readiness down at once, liveness up, both back without a restart', async () => {
    const base = await startWorker('health-lost');

    proxy!.refuse(); // connections dropped, reconnects refused: RabbitMQ down
    const ready = await get(`${base}/health/ready`);
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.body)).toMatchObject({ error: { broker: { status: 'down' } } });
    expect((await get(`${base}/health/live`)).status).toBe(200);

    proxy!.accept();
    await expect
      .poll(async () => (await get(`${base}/health/ready`)).status, { timeout: 20_000 })
      .toBe(200);
    expect((await get(`${base}/health/live`)).status).toBe(200);
  });
});
