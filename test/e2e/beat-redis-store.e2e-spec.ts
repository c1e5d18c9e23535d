import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll } from 'vitest';
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
