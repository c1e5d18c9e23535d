import type { Broker } from '../contracts/broker.interface.js';
import type { ScheduleStore } from '../contracts/schedule-store.interface.js';
import { ConfigurationError } from '../errors/configuration.error.js';
import { loadOptionalPeer } from '../utils/load-optional-peer.js';
import { memoryStoreName } from '../utils/shared-by-name.js';
import { MemoryScheduleStore } from './memory/memory.schedule-store.js';

/**
 * The beat's schedule store: an instance as given, a `redis://` / `rediss://` or `memory://`
 * URL, or by default the broker's Redis (process memory when the broker is not Redis).
 */
export async function createScheduleStore(
  store: string | ScheduleStore | undefined,
  broker: string | Broker,
  keyPrefix: string,
): Promise<ScheduleStore> {
  if (store !== undefined && typeof store !== 'string') return store;
  const url = store ?? (typeof broker === 'string' ? broker : 'memory://');
  if (/^rediss?:/.test(url)) {
    const { RedisScheduleStore } = await loadOptionalPeer(
      'ioredis',
      'the Redis schedule store',
      () => import('./redis/redis.schedule-store.js'),
    );
    return new RedisScheduleStore(url, { keyPrefix });
  }
  if (url.startsWith('memory:')) return new MemoryScheduleStore(memoryStoreName(url));
  if (store === undefined) return new MemoryScheduleStore();
  throw new ConfigurationError(
    `Unsupported beat store "${url}": use redis://, memory:// or a store instance ` +
      `(TypeOrmScheduleStore from celeriac/typeorm).`,
  );
}
