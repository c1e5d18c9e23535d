import type { Broker } from '../interfaces/broker.interface.js';
import type { ResultBackend } from '../interfaces/result-backend.interface.js';
import type { RevocationStore } from '../interfaces/revocation-store.interface.js';
import { MemoryRevocationStore } from '../revocation/memory.revocation-store.js';

/**
 * The revocation store: the broker's Redis, else the result backend's Redis, else process
 * memory (shared by name for `memory://name`; with RabbitMQ and no Redis, revocations reach
 * running workers through remote control but are not persisted).
 */
export async function createRevocationStore(
  broker: string | Broker,
  resultBackend?: string | ResultBackend | false,
): Promise<RevocationStore> {
  const redisBackend = typeof resultBackend === 'string' && /^rediss?:/.test(resultBackend);
  if (typeof broker !== 'string' || (!/^rediss?:/.test(broker) && redisBackend)) {
    if (!redisBackend) return new MemoryRevocationStore();
    const { RedisRevocationStore } = await import('../revocation/redis.revocation-store.js');
    return new RedisRevocationStore(resultBackend);
  }
  const url = new URL(broker);
  switch (url.protocol) {
    case 'memory:':
      return new MemoryRevocationStore(url.host || undefined);
    case 'redis:':
    case 'rediss:': {
      const { RedisRevocationStore } = await import('../revocation/redis.revocation-store.js');
      return new RedisRevocationStore(broker);
    }
    default:
      return new MemoryRevocationStore();
  }
}
