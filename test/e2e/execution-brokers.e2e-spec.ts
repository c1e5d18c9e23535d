import type { INestApplicationContext } from '@nestjs/common';
import {
  type Broker,
  DeadLetters,
  getBrokerToken,
  RevokedTasks,
  TaskClient,
  type TaskQueueOptions,
} from 'celeriac';
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTaskQueueApp, withOverrides } from '../support/task-queue-app.js';
import {
  SemanticsModule,
  SemanticsTasks,
} from '../../libs/task-queue/src/__fixtures__/semantics.fixture.js';
import { createTestVhost, type AmqpTestVhost } from '../support/amqp-vhost.js';
import { deleteKeys, REDIS_URL } from '../support/redis-test-server.js';

/**
 * The execution rules of the worker on real brokers (the memory-broker suite covers them on
 * fake timers): retries, ETA parking, expiry, revocation while offline, poison messages,
 * cluster-wide rate limits. Short real delays (≈1 s) only.
 */
let vhost: AmqpTestVhost | undefined;
const transports: Array<[string, () => string, () => string]> = [
  ['redis', () => REDIS_URL, () => REDIS_URL],
  ['amqp', () => vhost!.url, () => REDIS_URL],
];

beforeAll(async () => {
  vhost = await createTestVhost('celeriac-exec');
});
afterAll(async () => {
  await vhost?.dispose();
});

describe.each(transports)('execution rules on %s', (_name, brokerUrl, backendUrl) => {
  const apps: INestApplicationContext[] = [];
  let queue: string;
  const app = async (extra: TaskQueueOptions = {}): Promise<INestApplicationContext> => {
    const created = await createTaskQueueApp(
      withOverrides(
        {
          broker: brokerUrl(),
          resultBackend: backendUrl(),
          defaultQueue: queue,
          // Results of this suite expire soon after it: their ids are not tracked one by one.
          resultExpires: 600,
          worker: { concurrency: 4 },
        },
        extra,
      ),
      { imports: [SemanticsModule] },
    );
    apps.push(created);
    return created;
  };

  afterEach(async () => {
    for (const a of apps.splice(0)) await a.close();
    // The test's queue lists (and dead-letter list) and their kombu bindings.
    await deleteKeys(REDIS_URL, queue, `_kombu.binding.${queue}`);
  });

  it('retries with a countdown, republishing the same id, until it succeeds', async () => {
    queue = `exec-${randomUUID()}`;
    const a = await app();
    const result = await a.get(TaskClient).send('sem.autoretry', [randomUUID(), 'flaky-once']);
    await expect(result.get({ timeout: 15_000 })).resolves.toBe('ok after 2');
    // Celery's result_extended fields, `queue` being the delivery's routing key.
    expect(await result.meta()).toMatchObject({ retries: 1, name: 'sem.autoretry', queue });
  });

  it('fails a retry whose countdown no date can hold, saying why, and settles its message', async () => {
    queue = `exec-${randomUUID()}`;
    const a = await app();
    const result = await a.get(TaskClient).send('sem.retry-never');
    await result.get({ timeout: 10_000, propagate: false });
    // Was: "Handling the failure ... failed: RangeError: Invalid time value", FAILURE named Retry.
    expect((await result.meta())?.result).toMatchObject({
      exc_type: 'TaskQueueError',
      exc_message: [
        `Cannot retry sem.retry-never[${result.id}]: countdown must be a finite number of ` +
          'seconds; got Infinity.',
      ],
    });
    expect(await a.get(DeadLetters).count(queue)).toBe(0);
    await expect.poll(() => a.get<Broker>(getBrokerToken()).queueLength(queue)).toBe(0);
  });

  it('updateState with a meta JSON cannot carry rejects in the task, saying where', async () => {
    queue = `exec-${randomUUID()}`;
    const a = await app();
    const result = await a.get(TaskClient).send('sem.progress-map');
    await result.get({ timeout: 10_000, propagate: false });
    // Was: updateState resolved, the task succeeded, and a log line blamed the backend.
    expect((await result.meta())?.result).toMatchObject({
      exc_type: 'UnserializableValueError',
      exc_message: [
        'the meta of state PROGRESS is not JSON-serializable: a Map has no JSON form ' +
          '(convert it: Object.fromEntries(map)) at $.byCountry',
      ],
    });
  });

  it('parks an ETA task in the broker and runs it once it is due, after a worker restart', async () => {
    queue = `exec-${randomUUID()}`;
    const first = await app();
    const key = randomUUID();
    const due = Date.now() + 3_000;
    const result = await first.get(TaskClient).send('sem.quick', [key], {}, { eta: new Date(due) });
    await new Promise((r) => setTimeout(r, 500));
    await first.close();
    apps.splice(apps.indexOf(first), 1);
    const second = await app();
    await expect(second.get(TaskClient).result(result.id).get({ timeout: 20_000 })).resolves.toBe(
      key,
    );
    const [ranAt] = second.get(SemanticsTasks).runs.get(key)!;
    expect(ranAt).toBeGreaterThanOrEqual(due - 10);
  });

  it('records an expired task as REVOKED (expired) without running it', async () => {
    queue = `exec-${randomUUID()}`;
    const producer = await app({ worker: { enabled: false } });
    const key = randomUUID();
    const result = await producer
      .get(TaskClient)
      .send('sem.quick', [key], {}, { expires: new Date(Date.now() - 1000) });
    const worker = await app();
    await expect(result.get({ timeout: 10_000 })).rejects.toMatchObject({
      name: 'TaskRevokedError',
      reason: 'expired',
    });
    expect(worker.get(SemanticsTasks).runs.get(key)).toBeUndefined();
  });

  it('skips a task revoked while no worker ran', async () => {
    queue = `exec-${randomUUID()}`;
    const producer = await app({ worker: { enabled: false } });
    const key = randomUUID();
    const result = await producer.get(TaskClient).send('sem.quick', [key]);
    await producer.get(RevokedTasks).revoke(result.id);
    const worker = await app();
    await expect(result.get({ timeout: 10_000 })).rejects.toMatchObject({
      name: 'TaskRevokedError',
    });
    expect(worker.get(SemanticsTasks).runs.get(key)).toBeUndefined();
  });

  it('dead-letters a poison message while the good ones complete', async () => {
    queue = `exec-${randomUUID()}`;
    const a = await app();
    const tasks = a.get(TaskClient);
    const good = await Promise.all(
      Array.from({ length: 5 }, (_, i) => tasks.send('sem.quick', [`good-${i}`])),
    );
    const poison = await tasks.send('no.such.task', [1]);
    const more = await Promise.all(
      Array.from({ length: 5 }, (_, i) => tasks.send('sem.quick', [`more-${i}`])),
    );
    await expect(
      Promise.all([...good, ...more].map((r) => r.get({ timeout: 10_000 }))),
    ).resolves.toHaveLength(10);
    await expect(poison.get({ timeout: 10_000 })).rejects.toMatchObject({ name: 'NotRegistered' });
    await expect.poll(() => a.get(DeadLetters).count(queue), { timeout: 10_000 }).toBe(1);
    await a.get(DeadLetters).redrive(queue);
  });
});

describe('cluster-wide rate limit through Redis', () => {
  it('spaces starts of one task type across two workers', async () => {
    const queue = `exec-rate-${randomUUID()}`;
    const options: TaskQueueOptions = {
      broker: REDIS_URL,
      resultBackend: REDIS_URL,
      defaultQueue: queue,
      resultExpires: 600,
      taskDefaults: {},
    };
    const { Injectable, Module } = await import('@nestjs/common');
    const { Task } = await import('celeriac');
    const starts: number[] = [];
    const name = `rate.global.${randomUUID()}`;
    @Injectable()
    class GlobalRateTasks {
      @Task(name, { globalRateLimit: '5/s' })
      run(): number {
        starts.push(Date.now());
        return starts.length;
      }
    }
    @Module({ providers: [GlobalRateTasks] })
    class GlobalRateModule {}
    const a = await createTaskQueueApp(options, { imports: [GlobalRateModule] });
    const b = await createTaskQueueApp(options, { imports: [GlobalRateModule] });
    try {
      const results = await Promise.all(
        Array.from({ length: 6 }, () => a.get(TaskClient).send(name)),
      );
      await Promise.all(results.map((r) => r.get({ timeout: 15_000 })));
      starts.sort((x, y) => x - y);
      const gaps = starts.slice(1).map((t, i) => t - starts[i]!);
      expect(gaps.every((g) => g >= 150)).toBe(true); // 200 ms slots, allowing clock jitter
      expect(starts.at(-1)! - starts[0]!).toBeGreaterThanOrEqual(900);
    } finally {
      await a.close();
      await b.close();
      await deleteKeys(REDIS_URL, queue, `_kombu.binding.${queue}`);
    }
  });
});
