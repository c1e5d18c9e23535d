import { Injectable, type INestApplicationContext } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BeatService, Schedules, Task, TaskQueueBeatModule } from 'celeriac';
import { TaskQueueMetrics, TaskQueueMetricsModule } from 'celeriac/prometheus';
import { uniqueName } from '../support/interop-processes.js';
import { parseExposition, sampleValue, type Sample } from '../support/metrics-scrape.js';
import { ensurePrometheus, promtoolCheckMetrics } from '../support/prometheus-server.js';
import { deleteKeys, REDIS_URL } from '../support/redis-test-server.js';
import { createTaskQueueApp } from '../support/task-queue-app.js';

const prefix = `test:beat:${uniqueName('metrics')}:`;
const queue = uniqueName('beat-metrics');
const schedule = `${prefix}tick`;

@Injectable()
class TickTasks {
  @Task('beat_metrics.tick')
  tick(): string {
    return 'tick';
  }
}

/**
 * A beat running in the process exports its metrics on the module's registry: the lateness
 * of each fire, fires by schedule, and whether it leads. The fires are also counted as sent
 * (they are published like any task) and run by the worker. `promtool check metrics` is clean.
 */
describe('beat metrics', () => {
  let app: INestApplicationContext;

  beforeAll(async () => {
    ensurePrometheus();
    app = await createTaskQueueApp(
      {
        broker: REDIS_URL,
        resultBackend: false,
        defaultQueue: queue,
        worker: { queues: [queue] },
        events: { enabled: false },
      },
      {
        imports: [
          TaskQueueBeatModule.forRoot({ keyPrefix: prefix, renewMs: 200, leaseMs: 1000 }),
          TaskQueueMetricsModule.forRoot({ queues: [queue], path: false }),
        ],
        providers: [TickTasks],
      },
    );
  }, 300_000);

  afterAll(async () => {
    await app?.get(Schedules).remove(schedule);
    await app?.close();
    await deleteKeys(REDIS_URL, prefix, queue, `_kombu.binding.${queue}`);
  });

  const scrape = async () => parseExposition(await app.get(TaskQueueMetrics).metrics());
  const value = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
    sampleValue(samples, name, labels) ?? 0;

  it('exports lateness, fires by schedule and the leader gauge', async () => {
    await expect.poll(() => app.get(BeatService).isLeader, { timeout: 10_000 }).toBe(true);
    await app.get(Schedules).add(schedule, 'beat_metrics.tick', { every: 1 }, { queue });
    const fires = { schedule, task: 'beat_metrics.tick' };
    await expect
      .poll(async () => value(await scrape(), 'celeriac_beat_fires_total', fires), {
        timeout: 15_000,
      })
      .toBeGreaterThanOrEqual(2);
    await app.get(Schedules).remove(schedule);

    const samples = await scrape();
    const fired = value(samples, 'celeriac_beat_fires_total', fires);
    expect(value(samples, 'celeriac_beat_leader')).toBe(1);
    // One lateness observation per fire, each under a second on a healthy beat.
    expect(value(samples, 'celeriac_beat_fire_lateness_seconds_count')).toBe(fired);
    expect(value(samples, 'celeriac_beat_fire_lateness_seconds_bucket', { le: '1' })).toBe(fired);
    const sum = value(samples, 'celeriac_beat_fire_lateness_seconds_sum');
    expect(sum).toBeGreaterThanOrEqual(0);
    expect(sum).toBeLessThan(fired);
    // Fires are sent once each (plus at most one in flight when the schedule was removed).
    const sent = value(samples, 'celery_task_sent_total', {
      name: 'beat_metrics.tick',
      queue_name: queue,
    });
    expect(sent).toBeGreaterThanOrEqual(fired);
    expect(sent).toBeLessThanOrEqual(fired + 1);
    expect(promtoolCheckMetrics(await app.get(TaskQueueMetrics).metrics())).toBe('');
  });
});
