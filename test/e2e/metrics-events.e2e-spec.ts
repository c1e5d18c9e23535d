import type { INestApplicationContext } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskClient } from 'celeriac';
import { TaskQueueMetricsModule } from 'celeriac/prometheus';
import {
  type ManagedProcess,
  startPythonWorker,
  stopAll,
  uniqueName,
} from '../support/interop-processes.js';
import { get, parseExposition, type Sample, sampleValue } from '../support/metrics-scrape.js';
import { deleteKeys, REDIS_URL } from '../support/redis-test-server.js';
import { createTaskQueueApp, LOOPBACK_HTTP, workerHttpBase } from '../support/task-queue-app.js';

/**
 * `tasks: 'events'`: the counters of the whole cluster from the Celery events stream. A Python
 * Celery worker (`-E`) runs the tasks; a producer-only Node process exports what it did.
 */
describe('cluster task metrics from Celery events', () => {
  const queue = uniqueName('metrics-events');
  let python: ManagedProcess;
  let app: INestApplicationContext;
  let base: string;

  beforeAll(async () => {
    app = await createTaskQueueApp(
      {
        broker: REDIS_URL,
        resultBackend: REDIS_URL,
        defaultQueue: queue,
        worker: { enabled: false, http: LOOPBACK_HTTP },
      },
      {
        imports: [
          TaskQueueMetricsModule.forRoot({ tasks: 'events', queues: [queue], path: false }),
        ],
      },
    );
    base = workerHttpBase(app);
    python = await startPythonWorker({
      broker: REDIS_URL,
      backend: REDIS_URL,
      queue,
      events: true,
    });
  }, 60_000);
  afterAll(async () => {
    await stopAll();
    await app?.close();
    await deleteKeys(REDIS_URL, queue, `_kombu.binding.${queue}`);
  });

  it('counts what a Python worker received, started, succeeded and failed', async () => {
    const hostname = /python worker (py-[\w-]+)@/.exec(python.label)![1]!;
    const ours = (samples: Sample[], name: string, labels: Record<string, string>) =>
      samples.find(
        (s) =>
          s.name === name &&
          s.labels.hostname?.startsWith(hostname) &&
          Object.entries(labels).every(([k, v]) => s.labels[k] === v),
      )?.value;
    const client = app.get(TaskClient);
    const adds = await Promise.all([1, 2, 3].map((x) => client.send('interop_py.add', [x, 1])));
    const failed = await client.send('interop_py.fail', ['boom']);
    for (const result of adds) await result.get({ timeout: 20_000 });
    await expect(failed.get({ timeout: 20_000 })).rejects.toThrow();

    const scrape = async () => parseExposition((await get(`${base}/metrics`)).body);
    const add = { name: 'interop_py.add' };
    await expect
      .poll(async () => ours(await scrape(), 'celery_task_succeeded_total', add), {
        timeout: 10_000,
      })
      .toBe(3);
    const samples = await scrape();
    // The queue: Celery's task-received has none; this process sent the tasks, so it knows.
    // Was: queue_name="" on every series, and no send counted at all in this mode.
    expect(ours(samples, 'celery_task_succeeded_total', { ...add, queue_name: queue })).toBe(3);
    expect(sampleValue(samples, 'celery_task_sent_total', { ...add, queue_name: queue })).toBe(3);
    expect(ours(samples, 'celery_task_received_total', add)).toBe(3);
    expect(ours(samples, 'celery_task_started_total', add)).toBe(3);
    expect(ours(samples, 'celery_task_runtime_count', add)).toBe(3);
    expect(
      samples.find(
        (s) =>
          s.name === 'celery_task_failed_total' &&
          s.labels.hostname?.startsWith(hostname) &&
          s.labels.name === 'interop_py.fail' &&
          s.labels.queue_name === queue,
      )?.labels.exception,
    ).toMatch(/Error|Exception/);
    expect(ours(samples, 'celery_worker_up', {})).toBe(1);
    expect(
      samples.find((s) => s.name === 'celery_active_worker_count')!.value,
    ).toBeGreaterThanOrEqual(1);
  });
});
