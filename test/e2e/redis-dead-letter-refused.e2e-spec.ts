import { Injectable, Logger } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DeadLetters, Task } from 'celeriac';
import { PrivateRedisServer, pythonEnvelope } from '../support/redis-test-server.js';
import { createTaskQueueApp } from '../support/task-queue-app.js';
import { uniqueName } from '../support/unique-name.js';

// Redis refuses the dead-letter publish (maxmemory reached: LPUSH is refused, while the fetch
// still takes messages). The worker logged "the broker will redeliver it" but kept the message
// unsettled, its lease renewed for ever: it never reached the dead-letter queue, and each one
// took a prefetch slot for good (the worker stopped fetching after `prefetch` of them).

let server: PrivateRedisServer;
let admin: Redis;

beforeAll(async () => {
  server = await PrivateRedisServer.start();
  admin = new Redis(server.url);
});

afterAll(async () => {
  admin?.disconnect();
  await server?.destroy();
});

@Injectable()
class KnownTasks {
  @Task('refused.known')
  known(): string {
    return 'ok';
  }
}

async function worker(queue: string): Promise<TestingModule> {
  return createTaskQueueApp(
    {
      broker: server.url,
      resultBackend: `memory://refused-${queue}`,
      defaultQueue: queue,
      events: { enabled: false },
      worker: { queues: [queue], concurrency: 1, prefetch: 2 },
    },
    { providers: [KnownTasks] },
  );
}

/** A kombu envelope whose body is not JSON. */
function malformedEnvelope(queue: string): string {
  const { envelope } = pythonEnvelope(queue);
  return envelope.replace(
    /"body": "[^"]*"/,
    `"body": "${Buffer.from('{not json').toString('base64')}"`,
  );
}

describe('a dead-letter publish Redis refuses (maxmemory)', () => {
  it('gives the message back: it reaches the dead-letter queue once Redis has room', async () => {
    const queue = uniqueName('refused');
    // An unknown task (Python's proj.add) and a malformed message: both are dead-lettered.
    await admin.lpush(queue, pythonEnvelope(queue).envelope, malformedEnvelope(queue));
    const lines: string[] = [];
    const capture = (line: unknown): void => void lines.push(String(line));
    vi.spyOn(Logger.prototype, 'warn').mockImplementation(capture);
    vi.spyOn(Logger.prototype, 'error').mockImplementation(capture);
    await admin.config('SET', 'maxmemory', '1'); // every write that needs memory is refused
    let app: TestingModule | undefined;
    try {
      app = await worker(queue);
      await expect
        .poll(() => lines.filter((l) => /goes back to its queue in 5 s/.test(l)).length, {
          timeout: 10_000,
        })
        .toBeGreaterThanOrEqual(2);
      expect(lines.join('\n')).toMatch(/OOM|maxmemory|memory/i);
      expect(lines.join('\n')).toMatch(/Could not dead-letter malformed message/);
    } finally {
      await admin.config('SET', 'maxmemory', '0');
    }
    try {
      const deadLetters = app!.get(DeadLetters);
      await expect.poll(() => deadLetters.count(queue), { timeout: 20_000 }).toBe(2);
      await expect.poll(() => admin.hlen('unacked'), { timeout: 5_000 }).toBe(0);
    } finally {
      vi.restoreAllMocks();
      await app?.close();
    }
  }, 60_000);
});
