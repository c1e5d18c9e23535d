import type { INestApplicationContext } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../libs/task-queue/src/__fixtures__/create-app.js';
import {
  SemanticsModule,
  SemanticsTasks,
} from '../../libs/task-queue/src/__fixtures__/semantics.fixture.js';
import { TaskClient } from '../../libs/task-queue/src/producer/task.client.js';
import { TaskEvents } from '../../libs/task-queue/src/tasks/task-events.js';
import type { TaskQueueOptions } from '../../libs/task-queue/src/config/task-queue-options.interface.js';
import { createTestVhost, type AmqpTestVhost } from '../support/amqp-vhost.js';
import { deleteKeys, REDIS_URL } from '../support/redis-test-server.js';

/**
 * A task whose `expires` comes before its `eta`, as Celery 5.2 handles it: the worker receives
 * it (`task-received`, the expiry has not passed yet), holds it until its ETA, and only then,
 * about to run it, finds it expired: `task-revoked` (expired) and REVOKED stored at the ETA,
 * not at arrival nor at the expiry. Both a near ETA (held in memory) and a far one (parked in
 * the broker: on RabbitMQ the message's `expiration` property must not make the delay queue
 * hand it back early).
 */
let vhost: AmqpTestVhost | undefined;
const transports: Array<[string, () => string]> = [
  ['redis', () => REDIS_URL],
  ['amqp', () => vhost!.url],
];

beforeAll(async () => {
  vhost = await createTestVhost('celeriac-eta-expires');
});
afterAll(async () => {
  await vhost?.dispose();
});

describe.each(transports)('expires before eta on %s', (_name, brokerUrl) => {
  const apps: INestApplicationContext[] = [];
  const queues: string[] = [];
  const app = async (queue: string, extra: TaskQueueOptions = {}) => {
    const created = await createApp(
      {
        broker: brokerUrl(),
        resultBackend: REDIS_URL,
        defaultQueue: queue,
        resultExpires: 600,
        ...extra,
      },
      [SemanticsModule],
    );
    apps.push(created);
    return created;
  };
  afterEach(async () => {
    for (const a of apps.splice(0)) await a.close();
    // The test's queue lists and their kombu bindings.
    for (const q of queues.splice(0)) await deleteKeys(REDIS_URL, q, `_kombu.binding.${q}`);
  });

  it.each([
    ['near (held in memory)', 1_500, 500],
    ['far (parked in the broker)', 4_000, 1_000],
  ])('%s ETA: REVOKED (expired) at the ETA, not before', async (_kind, etaMs, expiresMs) => {
    const queue = `eta-exp-${randomUUID()}`;
    queues.push(queue);
    const worker = await app(queue);
    const seen: { type: string; at: number; reason?: string }[] = [];
    // Subscribed before anything is sent; the app's close ends the stream.
    worker.get(TaskEvents).events$.subscribe((event) => {
      seen.push({ type: event.type, at: Date.now(), reason: event.reason });
    });
    const key = randomUUID();
    const now = Date.now();
    const eta = new Date(now + etaMs);
    const result = await worker
      .get(TaskClient)
      .send('sem.quick', [key], {}, { eta, expires: new Date(now + expiresMs) });
    await expect(result.get({ timeout: 30_000 })).rejects.toMatchObject({
      name: 'TaskRevokedError',
      reason: 'expired',
    });
    const meta = (await result.meta()) as unknown as { status: string; date_done: string };
    expect(meta.status).toBe('REVOKED');
    expect(new Date(meta.date_done).getTime()).toBeGreaterThanOrEqual(eta.getTime() - 10);
    expect(worker.get(SemanticsTasks).runs.get(key)).toBeUndefined();
    const revoked = seen.filter((e) => e.type === 'task-revoked');
    expect(revoked).toHaveLength(1);
    expect(revoked[0]!.reason).toBe('expired');
    expect(revoked[0]!.at).toBeGreaterThanOrEqual(eta.getTime() - 10);
    expect(seen.filter((e) => e.type === 'task-received')).toHaveLength(1);
  });
});
