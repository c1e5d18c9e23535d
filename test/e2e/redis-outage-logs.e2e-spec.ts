import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../support/interop-build.js';
import { startNodeWorker, stopAll, uniqueName } from '../support/interop-processes.js';
import { InteropProducer } from '../support/interop-producer.js';
import { PrivateRedisServer } from '../support/redis-test-server.js';

// A worker on Redis (broker, results, revocations, remote control: every connection it opens)
// through an outage: each connection role logs the outage once, with the URL, and its
// recovery; ioredis never prints "Unhandled error event"; work resumes.

let server: PrivateRedisServer;

beforeAll(async () => {
  await ensureBuilt();
  server = await PrivateRedisServer.start();
}, 120_000);

afterAll(async () => {
  await stopAll();
  await server?.kill();
}, 60_000);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('Redis outage logging', () => {
  it('one outage line and one recovery line per connection role, no unhandled error events', async () => {
    const queue = uniqueName('outage');
    const worker = await startNodeWorker({
      broker: server.url,
      backend: server.url,
      queues: [queue],
      concurrency: 2,
    });
    const producer = await InteropProducer.open(server.url);
    try {
      const before = await producer.send<number>('interop.add', [1, 2], { queue });
      await expect(before.get({ timeout: 10_000 })).resolves.toBe(3);

      await server.kill();
      await sleep(4_000); // ioredis retries many times meanwhile (backoff capped at 2 s)
      await server.start();
      await worker.waitFor(/Redis broker connection to \S+ is back/, 20_000);
      await sleep(2_500); // every other connection's recovery

      const after = await producer.send<number>('interop.add', [2, 3], { queue });
      await expect(after.get({ timeout: 20_000 })).resolves.toBe(5);

      const output = worker.output;
      expect(output).not.toMatch(/Unhandled error event/);
      const url = server.url.replace(/\/$/, '');
      const roles = (pattern: RegExp): string[] =>
        [...output.matchAll(pattern)].map((m) => m[1]!).sort();
      const escaped = url.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      const failed = roles(new RegExp(`Redis (.+?) connection to ${escaped}\\S* failed: `, 'g'));
      const back = roles(new RegExp(`Redis (.+?) connection to ${escaped}\\S* is back`, 'g'));
      // Exactly once per role, and every role that failed came back.
      expect(failed).toEqual([...new Set(failed)]);
      expect(back).toEqual(failed);
      expect(failed).toEqual(
        expect.arrayContaining([
          'broker',
          'broker wake-up',
          'result backend',
          'revocations',
          'revocations subscriber',
          'control',
          'control subscriber',
        ]),
      );
      expect(output).toMatch(/failed: connect ECONNREFUSED 127\.0\.0\.1:\d+\. Reconnecting/);
    } finally {
      await producer.close();
      await worker.stop();
    }
  }, 90_000);
});
