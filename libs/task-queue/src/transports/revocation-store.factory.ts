import type { Broker } from '../contracts/broker.interface.js';
import type { ResultBackend } from '../contracts/result-backend.interface.js';
import type { RevocationStore } from '../contracts/revocation-store.interface.js';
import { MemoryRevocationStore } from './memory/memory.revocation-store.js';
import { loadOptionalPeer } from '../utils/load-optional-peer.js';
import { memoryStoreName } from '../utils/shared-by-name.js';
import { redisUrlOf } from './redis/redis-url.js';
import { globalKeyprefixOf } from './redis/redis-url-options.js';

/**
 * The revocation store: the broker's Redis, else the result backend's Redis, else process
 * memory (shared by name for `memory://name`; with RabbitMQ and no Redis, revocations reach
 * running workers through remote control but are not persisted).
 */
export async function createRevocationStore(
  broker: string | Broker,
  resultBackend?: string | ResultBackend | false,
): Promise<RevocationStore> {
  const redis = redisUrlOf(broker, resultBackend);
  if (redis) {
    const { RedisRevocationStore } = await loadOptionalPeer(
      'ioredis',
      'the Redis revocation store',
      () => import('./redis/redis.revocation-store.js'),
    );
    return new RedisRevocationStore(redis, `${globalKeyprefixOf(redis)}celeriac:`);
  }
  const memory = typeof broker === 'string' && broker.startsWith('memory:');
  return new MemoryRevocationStore(memory ? memoryStoreName(broker) : undefined);
}
