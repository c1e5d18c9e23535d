import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { INestApplicationContext } from '@nestjs/common';
import { ControlClient, WorkerService } from 'celeriac';
import { createApp } from '../../libs/task-queue/src/__fixtures__/create-app.js';
import { PrivateRedisServer } from '../support/redis-test-server.js';
import { RobustnessModule } from '../support/robustness-tasks.js';

// Remote control subscribes at boot. When the broker refuses that once (here Redis at its
// maxmemory refuses the pidbox binding), the worker must keep trying and answer `celery
// inspect` once the broker accepts, not stay deaf until it is restarted.

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
  vi.restoreAllMocks();
});

describe('remote control refused at boot', () => {
  it('is retried: the worker answers ping once the broker accepts the subscription', async () => {
    const server = await PrivateRedisServer.start();
    cleanup.push(() => server.kill());
    const admin = new Redis(server.url);
    cleanup.push(async () => admin.disconnect());
    await admin.config('SET', 'maxmemory', '1'); // every write refused (noeviction)
    const warn = vi.spyOn(Logger.prototype, 'warn');

    const app: INestApplicationContext = await createApp(
      {
        broker: server.url,
        defaultQueue: `control-boot-${randomUUID().slice(0, 8)}`,
        events: { enabled: false },
        worker: { concurrency: 1 },
      },
      [RobustnessModule],
    );
    cleanup.push(() => app.close());
    const node = app.get(WorkerService).hostname;
    const refused = warn.mock.calls
      .map((c) => String(c[0]))
      .filter((l) => /Remote control/.test(l));
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatch(/OOM/);
    expect(refused[0]).toMatch(/retrying/);

    await admin.config('SET', 'maxmemory', '0');
    const client = app.get(ControlClient);
    await expect
      .poll(async () => Object.keys(await client.ping({ destination: [node], timeout: 500 })), {
        timeout: 30_000,
        interval: 500,
      })
      .toEqual([node]);
    // One line for the incident, not one per attempt.
    expect(warn.mock.calls.filter((c) => /Remote control/.test(String(c[0])))).toHaveLength(1);
  }, 60_000);
});
