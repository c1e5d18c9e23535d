import { Injectable, type INestApplicationContext } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Reject, Task, TaskClient, TaskContext } from 'celeriac';
import { TaskQueueMetricsModule } from 'celeriac/prometheus';
import { get, parseExposition, sampleValue } from '../support/metrics-scrape.js';
import { promtoolCheckMetrics } from '../support/prometheus-server.js';
import { deleteKeys, REDIS_URL } from '../support/redis-test-server.js';
import { createTaskQueueApp, LOOPBACK_HTTP, workerHttpBase } from '../support/task-queue-app.js';

const QUEUE = `metrics-dlq-${randomUUID()}`;

@Injectable()
class DeadLetterTasks {
  constructor(private readonly ctx: TaskContext) {}

  @Task('dlq.refuse', { acksLate: true })
  refuse(): never {
    throw new Reject('not for us', false);
  }

  @Task('dlq.exhaust', { maxRetries: 0, acksLate: true })
  exhaust(): never {
    this.ctx.retry({ countdown: 0 });
  }
}

/**
 * Every message moved to a dead-letter queue is counted by queue and reason, those without a
 * task name too (malformed ones): before, a malformed message left no trace in the metrics but
 * the dead-letter gauge, and the docs counted unknown tasks as rejected (they are failed, as in
 * Celery).
 */
describe('dead-letter counter', () => {
  let app: INestApplicationContext;
  let metricsUrl: string;
  let redis: Redis;

  beforeAll(async () => {
    app = await createTaskQueueApp(
      {
        broker: REDIS_URL,
        resultBackend: false,
        defaultQueue: QUEUE,
        worker: { queues: [QUEUE], http: LOOPBACK_HTTP },
      },
      { imports: [TaskQueueMetricsModule.forRoot({ path: false })], providers: [DeadLetterTasks] },
    );
    metricsUrl = `${workerHttpBase(app)}/metrics`;
    redis = new Redis(REDIS_URL);
  });

  afterAll(async () => {
    await app?.close();
    await redis?.quit();
    await deleteKeys(
      REDIS_URL,
      QUEUE,
      `${QUEUE}.dlq`,
      `_kombu.binding.${QUEUE}`,
      `_kombu.binding.${QUEUE}.dlq`,
    );
  });

  it('counts malformed, unknown-task, rejected and exhausted messages by reason', async () => {
    const tasks = app.get(TaskClient);
    await redis.lpush(QUEUE, JSON.stringify({ body: 'xx', headers: {}, properties: {} }));
    await tasks.send('dlq.nobody-knows-me', []);
    await tasks.send('dlq.refuse', []);
    await tasks.send('dlq.exhaust', []);

    const counted = (reason: string) => (samples: ReturnType<typeof parseExposition>) =>
      sampleValue(samples, 'celeriac_dead_lettered_total', { queue_name: QUEUE, reason });
    await expect
      .poll(async () => parseExposition((await get(metricsUrl)).body), { timeout: 20_000 })
      .toSatisfy(
        (samples: ReturnType<typeof parseExposition>) =>
          counted('malformed')(samples) === 1 &&
          counted('unknown_task')(samples) === 1 &&
          counted('rejected')(samples) === 1 &&
          counted('max_retries')(samples) === 1,
      );
    const { body } = await get(metricsUrl);
    const samples = parseExposition(body);
    expect(sampleValue(samples, 'celeriac_queue_dead_letters', { queue_name: QUEUE })).toBe(4);
    expect(
      sampleValue(samples, 'celery_task_failed_total', {
        // Not registered here, but this process sent it: a name it learned keeps its label
        // (a random one would count under "unknown", docs/metrics-and-health.md).
        name: 'dlq.nobody-knows-me',
        // Celery's name, as a Python worker's task-failed event gives it (was TaskNotRegisteredError).
        exception: 'NotRegistered',
      }),
    ).toBe(1);
    expect(promtoolCheckMetrics(body)).toBe('');
  });
});
