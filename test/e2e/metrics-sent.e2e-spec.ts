import { Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chain, Task, TaskClient, TaskContext, TaskQueueModule } from 'celeriac';
import { createTaskMessage } from 'celeriac/protocol';
import { TaskQueueMetrics, TaskQueueMetricsModule } from 'celeriac/prometheus';
import { drainOnCommit, TaskOutbox } from 'celeriac/typeorm';
import { OutboxWriter } from '../../libs/task-queue/src/transaction/outbox/outbox.writer.js';
import { deleteKeys, REDIS_URL } from '../support/redis-test-server.js';
import { parseExposition, sampleValue } from '../support/metrics-scrape.js';
import { dropSchema, openSchemaDataSource, uniqueSchema } from '../support/typeorm-postgres.js';
import { OUTBOX_MIGRATIONS } from '../support/celeriac-migrations.js';
import { uniqueName } from '../support/interop-processes.js';

const queue = uniqueName('metrics-sent');
const schema = uniqueSchema('sent');

@Injectable()
class SentTasks {
  constructor(private readonly ctx: TaskContext) {}

  @Task('sent.ok')
  ok(...labels: string[]): string {
    return labels.join(' ');
  }

  @Task('sent.flaky', { maxRetries: 3 })
  flaky(): number {
    if (this.ctx.retries === 0) this.ctx.retry({ countdown: 0 });
    return this.ctx.retries;
  }

  @Task('sent.later')
  later(): void {}

  @Task('sent.committed')
  committed(): void {}

  @Task('sent.relayed')
  relayed(): void {}
}

/**
 * `celery_task_sent_total` counts every message this process publishes exactly once, whatever
 * published it: a send, the worker's retry, a canvas step (the producer's first link and the
 * worker's next one), the outbox fast path after COMMIT and the outbox relay. Checked against
 * what the worker received: every message is received once.
 */
describe('celery_task_sent_total on every publish path', () => {
  let dataSource: DataSource;
  let app: INestApplicationContext;

  beforeAll(async () => {
    dataSource = await openSchemaDataSource(schema, {
      entities: [TaskOutbox],
      migrations: OUTBOX_MIGRATIONS,
      schema,
    });
    await dataSource.runMigrations();
    @Module({
      imports: [
        TaskQueueModule.forRoot({
          broker: REDIS_URL,
          resultBackend: REDIS_URL,
          defaultQueue: queue,
          typeorm: { dataSource, dispatch: 'outbox', relay: { pollIntervalMs: 100 } },
          worker: { queues: [queue], concurrency: 4, banner: false },
          events: { enabled: false },
        }),
        TaskQueueMetricsModule.forRoot({ queues: [], path: false }),
      ],
      providers: [SentTasks],
    })
    class SentModule {}
    const moduleRef = await Test.createTestingModule({ imports: [SentModule] }).compile();
    app = await moduleRef.init();
  });

  afterAll(async () => {
    await app?.close();
    await drainOnCommit();
    await dataSource?.destroy();
    await dropSchema(schema);
    await deleteKeys(REDIS_URL, queue, `_kombu.binding.${queue}`);
  });

  const counts = async (metric: string, name: string) =>
    sampleValue(
      parseExposition(await app.get(TaskQueueMetrics).metrics()),
      `celery_task_${metric}_total`,
      { name, queue_name: queue },
    ) ?? 0;

  it('counts sends, retries, canvas steps, the outbox fast path and the relay once each', async () => {
    const client = app.get(TaskClient);
    const ok = client.get(SentTasks, 'ok');
    await ok.delay('sent');
    await client.get(SentTasks, 'flaky').delay();
    // Past the worker's 2 s hold: parked in the broker, delivered again when due. Was: received
    // twice (at each delivery), where Celery's worker receives an ETA task once.
    await client.get(SentTasks, 'later').applyAsync([], { countdown: 2.5 });
    await chain(ok.s('first'), ok.s('second')).applyAsync(); // second(first's result, 'second')
    // Outbox: the row written in the transaction, published by the fast path after COMMIT.
    const committed = client.get(SentTasks, 'committed');
    await dataSource.transaction(() => committed.delayOnCommit());
    // A row the fast path never published (another process wrote it): the relay publishes it.
    const writer = new OutboxWriter({ graceMs: 0 });
    await dataSource.transaction((m) =>
      writer.write(m, createTaskMessage({ name: 'sent.relayed' }), { queue }),
    );

    const expected: Record<string, number> = {
      // the send, then the chain's first link (producer) and second (worker)
      'sent.ok': 3,
      // the send and the worker's retry
      'sent.flaky': 2,
      'sent.later': 1,
      'sent.committed': 1,
      'sent.relayed': 1,
    };
    for (const [name, sent] of Object.entries(expected)) {
      await expect
        .poll(() => counts('succeeded', name), { timeout: 15_000 })
        .toBe(1 + (name === 'sent.ok' ? 2 : 0));
      expect(await counts('sent', name), name).toBe(sent);
      expect(await counts('received', name), name).toBe(sent);
    }
    expect(await counts('retried', 'sent.flaky')).toBe(1);
  });
});
