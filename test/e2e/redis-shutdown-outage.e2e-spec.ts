import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Task, TaskClient, TaskQueueModule } from 'celeriac';
import { RedisBroker } from 'celeriac/redis';
import { PrivateRedisServer } from '../support/redis-test-server.js';

// A worker shuts down (SIGTERM: app.close()) while its Redis broker is down, holding a running
// task and prefetched ones. Giving them back cannot reach Redis: the shutdown must still end,
// say once what it could not give back, and lose nothing (the entries stay in `unacked` and a
// worker restores them after the visibility timeout).

let server: PrivateRedisServer;

beforeAll(async () => {
  server = await PrivateRedisServer.start({ durable: true });
});

afterAll(async () => {
  await server?.destroy();
});

const runs = new Map<string, number>();
let openGate: () => void = () => undefined;
const gate = new Promise<void>((resolve) => (openGate = resolve));

@Injectable()
class OutageTasks {
  @Task('outage.wait')
  async wait(key: string): Promise<string> {
    runs.set(key, (runs.get(key) ?? 0) + 1);
    await gate;
    return key;
  }
}

async function app(queue: string, worker: boolean): Promise<TestingModule> {
  const broker = new RedisBroker(server.url, {
    visibilityTimeout: 2,
    restoreInterval: 250,
    publishTimeout: 1_000,
  });
  const moduleRef = await Test.createTestingModule({
    imports: [
      TaskQueueModule.forRoot({
        broker,
        resultBackend: `memory://outage-${queue}`,
        defaultQueue: queue,
        events: { enabled: false },
        worker: {
          enabled: worker,
          queues: [queue],
          concurrency: 1,
          prefetch: 4,
          shutdownTimeout: 200,
          banner: false,
        },
      }),
    ],
    providers: [OutageTasks],
  }).compile();
  await moduleRef.init();
  return moduleRef;
}

describe('Redis worker shut down while Redis is down', () => {
  it('ends, says once what it could not give back, and loses no task', async () => {
    const queue = `outage-${randomUUID().slice(0, 8)}`;
    const keys = Array.from({ length: 4 }, (_, i) => `${queue}-${i}`);
    const first = await app(queue, true);
    const sent = [];
    for (const key of keys)
      sent.push(await first.get(TaskClient).send<string>('outage.wait', [key]));
    await expect.poll(() => runs.get(keys[0]!), { timeout: 10_000 }).toBe(1);

    const warnings: string[] = [];
    const warn = vi
      .spyOn(Logger.prototype, 'warn')
      .mockImplementation((line: unknown) => void warnings.push(String(line)));
    await server.kill();
    try {
      await first.close(); // hung for as long as Redis stayed down
    } finally {
      warn.mockRestore();
    }
    const notGivenBack = warnings.filter((line) => /Could not (requeue|give back)/.test(line));
    expect(notGivenBack.length).toBeGreaterThan(0);
    expect(notGivenBack.join('\n')).toMatch(/visibility timeout/);

    await server.restart();
    openGate();
    const second = await app(queue, true);
    try {
      const values = await Promise.all(
        sent.map((r) => second.get(TaskClient).result<string>(r.id).get({ timeout: 20_000 })),
      );
      expect(values).toEqual(keys);
    } finally {
      await second.close();
    }
  }, 60_000);
});
