import type { ResolvedTaskQueueOptions } from '../config/resolved-options.js';
import { ConfigurationError } from '../errors/configuration.error.js';
import type { RateLimitStore } from '../contracts/rate-limit-store.interface.js';
import { MemoryRateLimitStore } from './memory/memory.rate-limit-store.js';
import { loadOptionalPeer } from '../utils/load-optional-peer.js';
import { memoryStoreName } from '../utils/shared-by-name.js';
import { redisUrlOf } from './redis/redis-url.js';
import { globalKeyprefixOf } from './redis/redis-url-options.js';

/**
 * Where `globalRateLimit` slots live: the broker's Redis, else the result backend's Redis,
 * else process memory for `memory://` brokers. Null when no task declares a global limit.
 */
export async function createRateLimitStore(
  config: ResolvedTaskQueueOptions,
  globalLimitTasks: string[],
): Promise<RateLimitStore | null> {
  if (!globalLimitTasks.length) return null;
  const url = redisUrlOf(config.broker, config.resultBackend);
  if (url) {
    const { RedisRateLimitStore } = await loadOptionalPeer(
      'ioredis',
      'globalRateLimit on Redis',
      () => import('./redis/redis.rate-limit-store.js'),
    );
    return new RedisRateLimitStore(url, `${globalKeyprefixOf(url)}celeriac:`);
  }
  if (typeof config.broker === 'string' && config.broker.startsWith('memory:')) {
    return new MemoryRateLimitStore(memoryStoreName(config.broker));
  }
  throw new ConfigurationError(
    `globalRateLimit (on ${globalLimitTasks.join(', ')}) needs Redis: use a redis:// broker or ` +
      `result backend, or use the per-worker rateLimit instead.`,
  );
}
