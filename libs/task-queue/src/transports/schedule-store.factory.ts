import type { Broker } from '../contracts/broker.interface.js';
import type { ResultBackend } from '../contracts/result-backend.interface.js';
import type { ScheduleStore } from '../contracts/schedule-store.interface.js';
import { ConfigurationError } from '../errors/configuration.error.js';
import { loadOptionalPeer } from '../utils/load-optional-peer.js';
import { memoryStoreName } from '../utils/shared-by-name.js';
import { MemoryScheduleStore } from './memory/memory.schedule-store.js';
import { redisUrlOf } from './redis/redis-url.js';
import { globalKeyprefixOf } from './redis/redis-url-options.js';
import { isSentinelUrl } from './redis/redis-sentinel-url.js';
import { maskUrl as redact } from '../utils/mask-url.js';

/**
 * The beat's schedule store: an instance as given, a `redis://` / `rediss://`,
 * `postgres://` / `postgresql://` (tables from the `CreateBeatTables…` migration) or `memory://`
 * URL, or by default the broker's Redis, else the result backend's Redis, else process memory
 * (`memory://<name>` with a named memory broker).
 */
export async function createScheduleStore(
  store: string | ScheduleStore | undefined,
  broker: string | Broker,
  resultBackend: string | ResultBackend | false | undefined,
  keyPrefix: string,
): Promise<ScheduleStore> {
  if (store !== undefined && typeof store !== 'string') return store;
  const memory = typeof broker === 'string' && broker.startsWith('memory:') ? broker : 'memory://';
  const url = store ?? redisUrlOf(broker, resultBackend) ?? memory;
  if (/^rediss?:/.test(url) || isSentinelUrl(url)) {
    const { RedisScheduleStore } = await loadOptionalPeer(
      'ioredis',
      'the Redis schedule store',
      () => import('./redis/redis.schedule-store.js'),
    );
    return new RedisScheduleStore(url, { keyPrefix: globalKeyprefixOf(url) + keyPrefix });
  }
  if (/^postgres(ql)?:/.test(url)) return postgresStore(url);
  if (/^(mysql|mariadb):/.test(url)) {
    throw new ConfigurationError(
      `Unsupported beat store "${redact(url)}": the SQL schedule store needs PostgreSQL ` +
        '(its leader is told of edits by LISTEN/NOTIFY). Use postgres://, redis:// or memory://.',
    );
  }
  if (url.startsWith('memory:')) return new MemoryScheduleStore(memoryStoreName(url));
  if (store === undefined) return new MemoryScheduleStore();
  throw new ConfigurationError(
    `Unsupported beat store "${redact(url)}": use redis://, postgres://, memory:// or a store ` +
      `instance (TypeOrmScheduleStore from celeriac/typeorm).`,
  );
}

/** The PostgreSQL store of a URL: needs the optional peers typeorm and pg. */
async function postgresStore(url: string): Promise<ScheduleStore> {
  const feature = `beat store "${redact(url)}"`;
  const pg = await loadOptionalPeer('pg', feature, () => import('pg'));
  const { PostgresUrlScheduleStore } = await loadOptionalPeer(
    'typeorm',
    feature,
    () => import('./typeorm/postgres-url.schedule-store.js'),
  );
  return new PostgresUrlScheduleStore(url, (pg as { default?: object }).default ?? pg);
}
