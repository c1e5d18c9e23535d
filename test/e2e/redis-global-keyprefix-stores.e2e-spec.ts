import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { ResolvedTaskQueueOptions } from '../../libs/task-queue/src/config/resolved-options.js';
import { createRateLimitStore } from '../../libs/task-queue/src/transports/rate-limit-store.factory.js';
import { createRevocationStore } from '../../libs/task-queue/src/transports/revocation-store.factory.js';
import { createScheduleStore } from '../../libs/task-queue/src/transports/schedule-store.factory.js';
import { REDIS_URL } from '../support/redis-test-server.js';

/**
 * `global_keyprefix` on the broker URL tells apps apart on one Redis (kombu prefixes every key
 * with it). The stores kept on the broker's Redis must be told apart too: before, two apps
 * with different prefixes shared one beat (one leader firing both apps' schedules onto its own
 * queues), their revocations and their global rate limits.
 */
const prefix = `gkp-${randomUUID()}:`;
const url = `${REDIS_URL}?global_keyprefix=${prefix}`;
const redis = new Redis(REDIS_URL);

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

describe("stores on the broker's Redis with global_keyprefix", () => {
  it("put the broker URL's prefix before their own keys", async () => {
    const schedules = await createScheduleStore(undefined, url, undefined, 'celeriac:beat:');
    await schedules.connect();
    expect(await schedules.acquireLease('firsthour', 5_000)).not.toBeNull();
    await schedules.close();

    const revocations = await createRevocationStore(url);
    await revocations.connect();
    const id = randomUUID();
    await revocations.add([
      { id, expiresAt: Date.now() + 60_000, terminate: false, reason: 'test' },
    ]);
    await revocations.close();

    const config = { broker: url, resultBackend: undefined } as unknown as ResolvedTaskQueueOptions;
    const limits = (await createRateLimitStore(config, ['t']))!;
    await limits.reserve('t', 1_000);
    await limits.close();

    const keys = (await redis.keys(`${prefix}*`)).sort();
    expect(keys).toContain(`${prefix}celeriac:beat:lease`);
    expect(keys).toContain(`${prefix}celeriac:revoked`);
    expect(keys.some((key) => key.startsWith(`${prefix}celeriac:ratelimit:`))).toBe(true);
  });
});
