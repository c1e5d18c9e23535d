import type { INestApplicationContext } from '@nestjs/common';
import { Injectable, Module } from '@nestjs/common';
import { Task, TaskClient, type TaskQueueOptions } from 'celeriac';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../libs/task-queue/src/__fixtures__/create-app.js';
import { REDIS_URL } from '../support/redis-test-server.js';

const runs: Record<string, number> = {};
@Injectable()
class ProbeTasks {
  @Task('probe3.rate', { rateLimit: '50/s' })
  rate(key: string): string {
    runs[key] = (runs[key] ?? 0) + 1;
    return key;
  }
}
@Module({ providers: [ProbeTasks] })
class ProbeModule {}

describe('rate-limited warm shutdowns', () => {
  it('no message left unacked after repeated warm shutdowns', async () => {
    const prefix = `p3-${randomUUID()}:`;
    const broker = `${REDIS_URL}?global_keyprefix=${prefix}`;
    const queue = 'q';
    const opts = (extra: TaskQueueOptions = {}) => ({ broker, resultBackend: REDIS_URL, defaultQueue: queue, resultExpires: 600, ...extra });
    const producer = await createApp(opts({ worker: { enabled: false } }), [ProbeModule]);
    const keys = Array.from({ length: 600 }, () => randomUUID());
    const results = await Promise.all(keys.map((k) => producer.get(TaskClient).send('probe3.rate', [k])));
    const redis = new Redis(REDIS_URL);
    for (let round = 0; round < 6; round++) {
      const ws: INestApplicationContext[] = [];
      for (let i = 0; i < 3; i++) ws.push(await createApp(opts({ worker: { concurrency: 4, prefetch: 4 } }), [ProbeModule]));
      await new Promise((r) => setTimeout(r, 700));
      await Promise.all(ws.map((w) => w.close()));
      const unacked = await redis.hlen(`${prefix}unacked`);
      console.log('round', round, 'done', Object.keys(runs).length, 'unacked after close', unacked);
    }
    const w = await createApp(opts(), [ProbeModule]);
    await Promise.all(results.map((r) => r.get({ timeout: 60_000 })));
    const dup = keys.filter((k) => runs[k] !== 1);
    console.log('dups', dup.length);
    await w.close();
    await producer.close();
    expect(await redis.hlen(`${prefix}unacked`)).toBe(0);
    redis.disconnect();
  }, 120_000);
});
