import { Module, type INestApplicationContext } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { TaskClient } from 'celeriac';
import { AmqpBroker } from 'celeriac/amqp';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../libs/task-queue/src/__fixtures__/create-app.js';
import { spinStarted } from '../support/pool-app.js';
import { PoolTasks } from '../../apps/pools/src/pool.tasks.js';
import { closeConnectionsNamed, listQueues, usePrivateVhost } from '../support/amqp-vhost.js';
import { ensureBuilt, POOLS_MODULE } from '../support/interop-build.js';
import { REDIS_URL } from '../support/redis-test-server.js';

// RabbitMQ closes the worker's connection while a processes-pool child spins in a task
// (acksLate): RabbitMQ requeues the message, the worker reconnects, the task ends (its ack on
// the dead channel is dropped) and may run again; its result is stored, the queue ends empty,
// and the pool serves on.

@Module({ providers: [PoolTasks] })
class MainTasks {}

const vhost = usePrivateVhost('celeriac-pools-outage');
let app: INestApplicationContext | undefined;

beforeAll(() => ensureBuilt(), 180_000);
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe('RabbitMQ drops the worker while a processes-pool child is busy', () => {
  it('the task completes, the queue ends empty, and the pool serves on', async () => {
    const queue = `pools-amqp-${randomUUID().slice(0, 8)}`;
    const connectionName = `celeriac-e2e-${queue}`;
    process.env.POOLS_BROKER = vhost.url;
    process.env.POOLS_BACKEND = REDIS_URL;
    process.env.POOLS_QUEUE = queue;
    app = await createApp(
      {
        broker: new AmqpBroker(vhost.url, { connectionName }),
        resultBackend: REDIS_URL,
        defaultQueue: queue,
        resultExpires: 600,
        worker: {
          queues: [queue],
          concurrency: 2,
          isolates: { module: POOLS_MODULE, export: 'PoolIsolateModule', size: 1, spare: 1 },
        },
      },
      [MainTasks],
    );
    const client = app.get(TaskClient);
    const busy = await spinStarted(app, 2_000);
    expect(await closeConnectionsNamed(connectionName)).toBe(1);
    // It may have run twice (at-least-once): either run's result will do.
    await expect(busy.get({ timeout: 30_000 })).resolves.toHaveProperty('pid');
    await expect(
      (await client.send('pools.whoami_process')).get({ timeout: 30_000 }),
    ).resolves.toBeTruthy();
    await expect
      .poll(async () => (await listQueues(vhost.name)).find((q) => q.name === queue), {
        timeout: 30_000,
      })
      .toMatchObject({ messages: 0, unacked: 0 });
  }, 120_000);
});
