import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { RedisScheduleStore } from 'celeriac/redis';
import { describeScheduleStoreConformance } from 'celeriac/conformance';
import { REDIS_URL } from '../support/redis-test-server.js';

const keyPrefix = `test:beat:${randomUUID()}:`;
describeScheduleStoreConformance('redis', {
  create: () => new RedisScheduleStore(REDIS_URL, { keyPrefix }),
});

afterAll(async () => {
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${keyPrefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

describe('redis schedule store and rows that are not schedules', () => {
  it('lists the readable schedules and pending fires, warning about each hostile row', async () => {
    const prefix = `${keyPrefix}hostile:`;
    const store = new RedisScheduleStore(REDIS_URL, { keyPrefix: prefix });
    const redis = new Redis(REDIS_URL);
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    await store.connect();
    try {
      await store.save(
        {
          name: 'good',
          task: 't',
          schedule: { every: 60 },
          args: [],
          kwargs: {},
          enabled: true,
          source: 'api',
        },
        { nextFireAt: 1000, lastRunAt: null, lastTaskId: null, totalRuns: 0, rev: 0 },
      );
      // Valid JSON, but not schedules: written by hand or by another tool.
      await redis.hset(`${prefix}definitions`, {
        'null-def': 'null',
        'number-def': '5',
        'no-task': '{"name":"no-task","schedule":{"every":1}}',
        'other-name': '{"name":"good","task":"t","schedule":{"every":1}}',
        // A period of 0 or less made the leader publish on every tick (tens of thousands).
        'negative-every': '{"name":"negative-every","task":"t","schedule":{"every":-5}}',
        'at-text': '{"name":"at-text","task":"t","schedule":{"at":"soon"}}',
      });
      await redis.hset(`${prefix}states`, 'bad-state', '{}');
      await redis.hset(`${prefix}pending`, { x: 'null', y: '{"name":"good"}' });
      const names = (await store.list()).map((stored) => stored.definition.name);
      expect(names).toEqual(['good']);
      expect(await store.get('null-def')).toBeNull();
      expect(await store.get('other-name')).toBeNull();
      expect(await store.pending()).toEqual([]);
      const lines = warn.mock.calls.map((call) => String(call[0]));
      expect(lines).toContainEqual(expect.stringMatching(/skips schedule null-def.*is null/));
      expect(lines).toContainEqual(expect.stringMatching(/skips schedule other-name.*"good"/));
      expect(lines).toContainEqual(expect.stringMatching(/skips schedule negative-every.*-5/));
      // Such a row can still be removed.
      expect(await store.remove('null-def')).toBe(true);
    } finally {
      warn.mockRestore();
      redis.disconnect();
      await store.close();
    }
  });
});
