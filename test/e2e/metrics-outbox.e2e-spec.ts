import type { INestApplicationContext } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskQueueMetrics, TaskQueueMetricsModule } from 'celeriac/prometheus';
import { TaskOutbox } from 'celeriac/typeorm';
import type { DataSource } from 'typeorm';
import { OutboxWriter } from '../../libs/task-queue/src/transaction/outbox/outbox.writer.js';
import { message } from '../support/outbox-fixtures.js';
import { parseExposition, sampleValue } from '../support/metrics-scrape.js';
import { ensurePrometheus, promtoolCheckMetrics } from '../support/prometheus-server.js';
import { deleteKeys, REDIS_URL } from '../support/redis-test-server.js';
import { openTestDatabase, type TestDatabase } from '../support/typeorm-drivers.js';
import { createTaskQueueApp } from '../support/task-queue-app.js';
import { uniqueName } from '../support/unique-name.js';

const PENDING = 'celeriac_outbox_pending';
const AGE = 'celeriac_outbox_oldest_pending_age_seconds';

async function metricsApp(
  queue: string,
  typeorm?: { dataSource: DataSource; dispatch: 'outbox' },
): Promise<INestApplicationContext> {
  return createTaskQueueApp(
    {
      broker: REDIS_URL,
      resultBackend: false,
      defaultQueue: queue,
      events: { enabled: false },
      worker: { enabled: false },
      ...(typeorm ? { typeorm: { ...typeorm, relay: false } } : {}),
    },
    { imports: [TaskQueueMetricsModule.forRoot({ queues: [queue], path: false })] },
  );
}

/**
 * The outbox backlog on the metrics registry in outbox mode: rows waiting in task_outbox and
 * the age of the oldest, read at scrape time. `promtool check metrics` is clean; without the
 * outbox the gauges do not exist.
 */
describe.each(['postgres', 'mariadb'] as const)('outbox backlog metrics (%s)', (driver) => {
  let db: TestDatabase;
  let app: INestApplicationContext;
  const queue = uniqueName('metrics-outbox');
  const scrape = async () => parseExposition(await app.get(TaskQueueMetrics).metrics());

  beforeAll(async () => {
    ensurePrometheus();
    db = await openTestDatabase(driver, [TaskOutbox]);
    app = await metricsApp(queue, { dataSource: db.dataSource, dispatch: 'outbox' });
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await db?.dispose();
    await deleteKeys(REDIS_URL, queue, `_kombu.binding.${queue}`).catch(() => undefined);
  });

  it('exports the pending rows and the age of the oldest', async () => {
    let samples = await scrape();
    expect(sampleValue(samples, PENDING)).toBe(0);
    expect(sampleValue(samples, AGE)).toBe(0);

    // No broker on this writer: the rows stay, as when the broker is down and no relay runs.
    const writer = new OutboxWriter({ graceMs: 60_000 });
    const ids: string[] = [];
    await db.dataSource.transaction(async (m) => {
      for (let i = 0; i < 3; i++) {
        const msg = message();
        ids.push(msg.headers.id);
        await writer.write(m, msg, { queue });
      }
    });
    const repo = db.dataSource.getRepository(TaskOutbox);
    await repo.update({ id: ids[0] }, { createdAt: new Date(Date.now() - 120_000) });

    await expect.poll(async () => sampleValue(await scrape(), PENDING)).toBe(3);
    samples = await scrape();
    expect(sampleValue(samples, AGE)).toBeGreaterThanOrEqual(119);
    expect(sampleValue(samples, AGE)).toBeLessThan(180);
    expect(promtoolCheckMetrics(await app.get(TaskQueueMetrics).metrics())).toBe('');

    await repo.clear();
    await expect.poll(async () => sampleValue(await scrape(), PENDING)).toBe(0);
    expect(sampleValue(await scrape(), AGE)).toBe(0);
  });
});

describe('outbox backlog metrics without the outbox', () => {
  it('are not exported', async () => {
    const queue = uniqueName('metrics-no-outbox');
    const app = await metricsApp(queue);
    try {
      const exposition = await app.get(TaskQueueMetrics).metrics();
      expect(exposition).not.toContain('celeriac_outbox_');
    } finally {
      await app.close();
      await deleteKeys(REDIS_URL, queue, `_kombu.binding.${queue}`).catch(() => undefined);
    }
  });
});
