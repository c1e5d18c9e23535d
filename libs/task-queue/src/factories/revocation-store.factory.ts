import type { Broker } from '../interfaces/broker.interface.js';
import type { RevocationStore } from '../interfaces/revocation-store.interface.js';
import { MemoryRevocationStore } from '../revocation/memory.revocation-store.js';

/**
 * The revocation store that goes with a broker: kept in the broker's own datastore when it
 * has one (Redis), in process memory otherwise (shared by name for `memory://name`).
 */
export async function createRevocationStore(broker: string | Broker): Promise<RevocationStore> {
  if (typeof broker !== 'string') return new MemoryRevocationStore();
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
