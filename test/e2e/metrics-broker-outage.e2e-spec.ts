import type { INestApplicationContext } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { TaskQueueMetricsModule } from 'celeriac/prometheus';
import { usePrivateVhost } from '../support/amqp-vhost.js';
import { get, parseExposition, sampleValue } from '../support/metrics-scrape.js';
import { PausableProxy } from '../support/pausable-proxy.js';
import { deleteKeys, REDIS_URL } from '../support/redis-test-server.js';
import { createTaskQueueApp, LOOPBACK_HTTP, workerHttpBase } from '../support/task-queue-app.js';

/**
 * A scrape while the broker hangs (connections open, no answer): it must answer well inside
 * Prometheus' scrape timeout (10 s by default; shorter ones are common), with the process
 * metrics and `celeriac_queue_stats_up 0`, instead of waiting for the broker's own timeout,
 * after which Prometheus has dropped the whole scrape (target down, every series stale).
 */
const vhost = usePrivateVhost('metrics-outage');

describe('a scrape while the broker does not answer', () => {
  let app: INestApplicationContext | undefined;
  let proxy: PausableProxy | undefined;

  afterEach(async () => {
    proxy?.resume();
    await app?.close();
    await proxy?.close();
    app = undefined;
    proxy = undefined;
  });

  async function start(broker: (port: number) => string, queue: string): Promise<string> {
    const url = new URL(broker(0));
    proxy = await PausableProxy.start(Number(url.port || 6379));
    app = await createTaskQueueApp(
      {
        broker: broker(proxy.port),
        resultBackend: false,
        defaultQueue: queue,
        worker: { queues: [queue], http: LOOPBACK_HTTP },
      },
      {
        imports: [
          TaskQueueMetricsModule.forRoot({
            path: false,
            defaultMetrics: true,
            queueStatsTimeout: 1_500,
          }),
        ],
      },
    );
    return `${workerHttpBase(app)}/metrics`;
  }

  async function scrapeDuringHang(metricsUrl: string, queue: string): Promise<void> {
    const before = parseExposition((await get(metricsUrl)).body);
    expect(sampleValue(before, 'celeriac_queue_stats_up')).toBe(1);
    expect(sampleValue(before, 'celeriac_queue_ready', { queue_name: queue })).toBe(0);

    proxy!.pause();
    // Past the snapshot's reuse window, so this scrape asks the broker.
    await new Promise((resolve) => setTimeout(resolve, 600));
    for (let scrape = 0; scrape < 2; scrape++) {
      const started = Date.now();
      const { status, body } = await get(metricsUrl);
      const took = Date.now() - started;
      const samples = parseExposition(body);
      expect(status).toBe(200);
      expect(took).toBeLessThan(4_000);
      expect(sampleValue(samples, 'celeriac_queue_stats_up')).toBe(0);
      expect(sampleValue(samples, 'celeriac_queue_ready', { queue_name: queue })).toBeUndefined();
      expect(sampleValue(samples, 'process_resident_memory_bytes')).toBeGreaterThan(0);
      expect(sampleValue(samples, 'celeriac_worker_consuming')).toBeDefined();
    }

    proxy!.resume();
    await expect
      .poll(
        async () =>
          sampleValue(parseExposition((await get(metricsUrl)).body), 'celeriac_queue_stats_up'),
        { timeout: 20_000, interval: 250 },
      )
      .toBe(1);
  }

  it('Redis: answers within the queue-stats timeout with stats_up 0, then recovers', async () => {
    const queue = `metrics-outage-${randomUUID()}`;
    try {
      const metricsUrl = await start(
        (port) => REDIS_URL.replace(':6379', `:${port || 6379}`),
        queue,
      );
      await scrapeDuringHang(metricsUrl, queue);
    } finally {
      await deleteKeys(REDIS_URL, queue, `${queue}.dlq`, `_kombu.binding.${queue}`);
    }
  });

  it('RabbitMQ: answers within the queue-stats timeout with stats_up 0, then recovers', async () => {
    const queue = `metrics-outage-${randomUUID()}`;
    const metricsUrl = await start((port) => vhost.url.replace(':5672', `:${port || 5672}`), queue);
    await scrapeDuringHang(metricsUrl, queue);
  });
});
