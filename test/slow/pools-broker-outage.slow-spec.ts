import { Module, type INestApplicationContext } from '@nestjs/common';
import { TaskClient } from 'celeriac';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../libs/task-queue/src/__fixtures__/create-app.js';
import { spinStarted } from '../support/pool-app.js';
import { PoolTasks } from '../../apps/pools/src/pool.tasks.js';
import { ensureBuilt, POOLS_MODULE } from '../support/interop-build.js';
import { PrivateRedisServer } from '../support/redis-test-server.js';

@Module({ providers: [PoolTasks] })
class MainTasks {}

let redis: PrivateRedisServer;
let app: INestApplicationContext | undefined;

beforeAll(async () => {
  await ensureBuilt();
  redis = await PrivateRedisServer.start({ durable: true });
}, 180_000);
afterEach(async () => {
  await app?.close();
  app = undefined;
});
afterAll(async () => {
  await redis?.destroy();
});

describe('Redis restarts while a processes-pool child is busy', () => {
  it('stores the result once Redis is back, acks the message, and the pool serves on', async () => {
    process.env.POOLS_BROKER = redis.url;
    process.env.POOLS_QUEUE = 'pools-outage';
    app = await createApp(
      {
        broker: redis.url,
        resultBackend: redis.url,
        defaultQueue: 'pools-outage',
        resultExpires: 600,
        worker: {
          concurrency: 2,
          isolates: { module: POOLS_MODULE, export: 'PoolIsolateModule', size: 1, spare: 1 },
        },
      },
      [MainTasks],
    );
    const client = app.get(TaskClient);
    const busy = await spinStarted(app, 2_000);
    await redis.kill();
    await new Promise((r) => setTimeout(r, 5_000));
    await redis.restart();
    await expect(busy.get({ timeout: 30_000 })).resolves.toMatchObject({ served: 1 });
    const after = await client.send('pools.whoami_process');
    await expect(after.get({ timeout: 30_000 })).resolves.toBeTruthy();
    const raw = new Redis(redis.url);
    try {
      await expect.poll(() => raw.hlen('unacked'), { timeout: 10_000 }).toBe(0);
    } finally {
      raw.disconnect();
    }
  });
});
