import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Redis } from 'ioredis';
import { RedisBroker } from 'celeriac/redis';
import type { Broker, PublishOptions, TaskMessage } from 'celeriac';
import { OutboxRelay } from '../../libs/task-queue/src/transaction/outbox/outbox.relay.js';
import { OutboxWriter } from '../../libs/task-queue/src/transaction/outbox/outbox.writer.js';
import { drainOnCommit, TaskOutbox } from 'celeriac/typeorm';
import { message } from '../support/outbox-fixtures.js';
import { PausableProxy } from '../support/pausable-proxy.js';
import { deleteKeys, REDIS_URL } from '../support/redis-test-server.js';
import { openTestDatabase, type TestDatabase } from '../support/typeorm-drivers.js';

// A broker outage while rows wait in the outbox: the relay stops its round at the first row
// whose publish fails because the broker is unreachable (not one attempt per pending row per
// round), checks the broker with capped backoff, and relays everything, in order, once the
// broker answers again.

describe.each(['postgres', 'mariadb'] as const)(
  'outbox relay during a broker outage (%s)',
  (driver) => {
    let db: TestDatabase;
    let proxy: PausableProxy;
    let broker: RedisBroker;
    const queue = `outbox-outage-${randomUUID().slice(0, 8)}`;
    const relays: OutboxRelay[] = [];

    beforeAll(async () => {
      db = await openTestDatabase(driver, [TaskOutbox]);
      proxy = await PausableProxy.start(6379);
      broker = new RedisBroker(`redis://127.0.0.1:${proxy.port}/0`, { publishTimeout: 200 });
      await broker.connect();
    });
    afterEach(async () => {
      for (const relay of relays.splice(0)) await relay.stop();
      vi.restoreAllMocks();
    });
    afterAll(async () => {
      await broker?.close();
      await proxy?.close();
      await db?.dispose();
      await deleteKeys(REDIS_URL, queue, `_kombu.binding.${queue}`).catch(() => undefined);
    });

    it('stops each round at the unreachable broker, backs off, then relays every row in order', async () => {
      const { attempts, published, warnings } = watchPublishes(broker);

      proxy.refuse();
      const writer = new OutboxWriter({ graceMs: 0 });
      const ids: string[] = [];
      await db.dataSource.transaction(async (m) => {
        for (let i = 0; i < 30; i++) {
          const msg = message();
          ids.push(msg.headers.id);
          await writer.write(m, msg, { queue });
        }
      });
      const relay = new OutboxRelay(db.dataSource, broker, { pollIntervalMs: 50, listen: false });
      relays.push(relay);
      relay.start();

      await expect.poll(() => attempts.length, { timeout: 10_000 }).toBeGreaterThan(0);
      // A window of rounds with the broker down (every 50 ms when idle, but each publish waits
      // 200 ms for Redis): before the fix, about one attempt per row per 200 ms.
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      expect(attempts.length).toBeLessThanOrEqual(3);
      expect(warnings.filter((line) => /broker is unreachable/.test(line))).toHaveLength(1);
      expect(await db.dataSource.getRepository(TaskOutbox).count()).toBe(30);

      proxy.accept();
      await expect.poll(() => published.length, { timeout: 20_000 }).toBe(30);
      expect(published).toEqual(ids);
      await expect.poll(() => db.dataSource.getRepository(TaskOutbox).count()).toBe(0);
      const check = new Redis(REDIS_URL);
      try {
        expect(await check.llen(queue)).toBe(30);
      } finally {
        check.disconnect();
      }
    });

    it('the fast path tries once, then leaves the rest to the relay until the broker answers', async () => {
      const { attempts, published, warnings } = watchPublishes(broker);

      proxy.refuse();
      const writer = new OutboxWriter({ broker, graceMs: 300 });
      const ids: string[] = [];
      await db.dataSource.transaction(async (m) => {
        for (let i = 0; i < 15; i++) {
          const msg = message();
          ids.push(msg.headers.id);
          await writer.write(m, msg, { queue });
        }
      });
      await drainOnCommit();
      // Before: one publish timeout per task (15 x 200 ms here, 10 s each by default) and one
      // warning per task.
      expect(attempts).toHaveLength(1);
      expect(warnings.filter((line) => /after commit|fast path/i.test(line))).toHaveLength(1);
      expect(await db.dataSource.getRepository(TaskOutbox).count()).toBe(15);

      proxy.accept();
      await expect
        .poll(
          () =>
            broker.ping().then(
              () => true,
              () => false,
            ),
          { timeout: 10_000 },
        )
        .toBe(true);
      const relay = new OutboxRelay(db.dataSource, broker, { pollIntervalMs: 50, listen: false });
      relays.push(relay);
      relay.start();
      await expect.poll(() => published.length, { timeout: 20_000 }).toBe(15);
      expect(published).toEqual(ids);
      await expect.poll(() => db.dataSource.getRepository(TaskOutbox).count()).toBe(0);
    });
  },
);

/** Record the ids `broker` is asked to publish and has published, and the warnings logged. */
function watchPublishes(broker: Broker): {
  attempts: string[];
  published: string[];
  warnings: string[];
} {
  const attempts: string[] = [];
  const published: string[] = [];
  const warnings: string[] = [];
  const publish = broker.publish.bind(broker);
  vi.spyOn(broker, 'publish').mockImplementation(
    async (msg: TaskMessage, options: PublishOptions) => {
      attempts.push(msg.headers.id);
      await publish(msg, options);
      published.push(msg.headers.id);
    },
  );
  vi.spyOn(Logger.prototype, 'warn').mockImplementation((line: unknown) => {
    warnings.push(String(line));
  });
  return { attempts, published, warnings };
}
