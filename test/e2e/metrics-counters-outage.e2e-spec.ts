import { Injectable, type INestApplicationContext } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Task, TaskClient } from 'celeriac';
import { TaskQueueMetricsModule } from 'celeriac/prometheus';
import { PrivateRedisServer } from '../support/redis-test-server.js';
import { get, parseExposition, sampleValue } from '../support/metrics-scrape.js';
import { createTaskQueueApp, LOOPBACK_HTTP, workerHttpBase } from '../support/task-queue-app.js';

const QUEUE = 'metrics-outage-counters';
const NAME = 'outage.double';

@Injectable()
class OutageTasks {
  @Task({ name: NAME })
  double(x: number): number {
    return x * 2;
  }
}

/**
 * Task counters across a Redis outage (SIGKILL, then a restart with the data kept): they live
 * in the process, so a scrape during the outage still serves them (with
 * `celeriac_queue_stats_up 0`), and after it every task sent (some while Redis was down) is
 * counted once as sent, received, started and succeeded - the reconnection neither resets the
 * counters nor counts a task twice.
 */
describe('task counters across a Redis outage', () => {
  let server: PrivateRedisServer;
  let app: INestApplicationContext;
  let client: TaskClient;
  let endpoint: string;

  beforeAll(async () => {
    server = await PrivateRedisServer.start({ durable: true });
    app = await createTaskQueueApp(
      {
        broker: server.url,
        resultBackend: false,
        defaultQueue: QUEUE,
        worker: { queues: [QUEUE], http: LOOPBACK_HTTP },
      },
      {
        imports: [TaskQueueMetricsModule.forRoot({ queues: [QUEUE], path: false })],
        providers: [OutageTasks],
      },
    );
    client = app.get(TaskClient);
    endpoint = `${workerHttpBase(app)}/metrics`;
  });

  afterAll(async () => {
    await app?.close();
    await server?.destroy();
  });

  const labels = { name: NAME, queue_name: QUEUE };
  async function counts() {
    const samples = parseExposition((await get(endpoint)).body);
    const count = (metric: string) => sampleValue(samples, metric, labels) ?? 0;
    return {
      sent: count('celery_task_sent_total'),
      received: count('celery_task_received_total'),
      started: count('celery_task_started_total'),
      succeeded: count('celery_task_succeeded_total'),
      statsUp: sampleValue(samples, 'celeriac_queue_stats_up', {}),
    };
  }
  const once = (n: number) => ({ sent: n, received: n, started: n, succeeded: n, statsUp: 1 });

  it('keeps counting each task once through the outage and the reconnection', async () => {
    for (let i = 0; i < 5; i++) await client.send(NAME, [i]);
    await expect.poll(counts, { timeout: 15_000 }).toEqual(once(5));

    await server.kill();
    // Served from the process while Redis is down: the counters as they were, no queue stats.
    await expect
      .poll(counts, { timeout: 15_000, interval: 200 })
      .toEqual({ ...once(5), statsUp: 0 });
    // Sent while Redis is down: the client waits for the connection to come back.
    const sends = Array.from({ length: 3 }, (_, i) => client.send(NAME, [10 + i]));
    await server.restart();
    await Promise.all(sends);
    for (let i = 0; i < 2; i++) await client.send(NAME, [20 + i]);

    await expect.poll(counts, { timeout: 30_000, interval: 200 }).toEqual(once(10));
  });
});
