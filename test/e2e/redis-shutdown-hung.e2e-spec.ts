import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Task, TaskClient, TaskQueueModule } from 'celeriac';
import { RedisBroker } from 'celeriac/redis';
import { PrivateRedisServer } from '../support/redis-test-server.js';

// A worker shuts down while its Redis hangs (SIGSTOP: the connections stay open and nothing
// answers, as behind a network partition that drops packets). Each step of the shutdown (remote
// control's unsubscribe, the requeue of prefetched tasks, the requeue of the running one, the
// give-back and QUIT on close) waited its own full timeout in turn: 32 s past shutdownTimeout
// on the default publishTimeout. Once one command went unanswered the rest must not wait.

let server: PrivateRedisServer;

beforeAll(async () => {
  server = await PrivateRedisServer.start({ durable: true });
});

afterAll(async () => {
  server?.resume();
  await server?.destroy();
});

const runs = new Map<string, number>();
let openGate: () => void = () => undefined;
const gate = new Promise<void>((resolve) => (openGate = resolve));

@Injectable()
class HungTasks {
  @Task('hung.wait')
  async wait(key: string): Promise<string> {
    runs.set(key, (runs.get(key) ?? 0) + 1);
    await gate;
    return key;
  }
}

async function app(queue: string): Promise<TestingModule> {
  // publishTimeout left at its default (10 s): the waits the shutdown must not add up.
  const broker = new RedisBroker(server.url, { visibilityTimeout: 2, restoreInterval: 250 });
  const moduleRef = await Test.createTestingModule({
    imports: [
      TaskQueueModule.forRoot({
        broker,
        resultBackend: `memory://hung-${queue}`,
        defaultQueue: queue,
        events: { enabled: false },
        worker: {
          queues: [queue],
          concurrency: 1,
          prefetch: 4,
          shutdownTimeout: 200,
          banner: false,
        },
      }),
    ],
    providers: [HungTasks],
  }).compile();
  await moduleRef.init();
  return moduleRef;
}

describe('Redis worker shut down while Redis hangs (SIGSTOP)', () => {
  it('waits for one unanswered command, not one per step; says what it left; loses no task', async () => {
    const queue = `hung-${randomUUID().slice(0, 8)}`;
    const keys = Array.from({ length: 4 }, (_, i) => `${queue}-${i}`);
    const first = await app(queue);
    const sent = [];
    for (const key of keys) sent.push(await first.get(TaskClient).send<string>('hung.wait', [key]));
    await expect.poll(() => runs.get(keys[0]!), { timeout: 10_000 }).toBe(1);

    const lines: string[] = [];
    const capture = (line: unknown): void => void lines.push(String(line));
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(capture);
    const error = vi.spyOn(Logger.prototype, 'error').mockImplementation(capture);
    server.pause();
    const started = Date.now();
    try {
      await first.close();
    } finally {
      warn.mockRestore();
      error.mockRestore();
      server.resume();
    }
    // One wait of remote control's 5 s answer timeout, the 200 ms shutdownTimeout, a loaded
    // machine's margin (each step waiting in turn took 50 s).
    expect(Date.now() - started).toBeLessThan(12_000);
    const text = lines.join('\n');
    expect(text).toMatch(/Could not requeue 3 message\(s\): Redis has not answered a command/);
    expect(text).toMatch(/after the visibility timeout/);
    // Nothing after the close claims it will retry.
    expect(text).not.toMatch(/Will retry|Renewing the lease/);

    openGate();
    const second = await app(queue);
    try {
      const values = await Promise.all(
        sent.map((r) => second.get(TaskClient).result<string>(r.id).get({ timeout: 20_000 })),
      );
      expect(values).toEqual(keys);
    } finally {
      await second.close();
    }
  }, 90_000);
});
