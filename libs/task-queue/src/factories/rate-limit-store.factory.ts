import type { ResolvedTaskQueueOptions } from '../config/resolved-options.js';
import { ConfigurationError } from '../errors/configuration.error.js';
import type { RateLimitStore } from '../interfaces/rate-limit-store.interface.js';
import { MemoryRateLimitStore } from '../ratelimit/memory.rate-limit-store.js';

const isRedis = (url: unknown): url is string => typeof url === 'string' && /^rediss?:/.test(url);

/**
 * Where `globalRateLimit` slots live: the broker's Redis, else the result backend's Redis,
 * else process memory for `memory://` brokers. Null when no task declares a global limit.
 */
export async function createRateLimitStore(
  config: ResolvedTaskQueueOptions,
  globalLimitTasks: string[],
): Promise<RateLimitStore | null> {
  if (!globalLimitTasks.length) return null;
  const url = isRedis(config.broker)
    ? config.broker
    : isRedis(config.resultBackend)
      ? config.resultBackend
      : undefined;
  if (url) {
    const { RedisRateLimitStore } = await import('../ratelimit/redis.rate-limit-store.js');
    return new RedisRateLimitStore(url);
  }
  if (typeof config.broker === 'string' && config.broker.startsWith('memory:')) {
    return new MemoryRateLimitStore(new URL(config.broker).host || undefined);
  }
  throw new ConfigurationError(
    `globalRateLimit (on ${globalLimitTasks.join(', ')}) needs Redis: use a redis:// broker or ` +
      `result backend, or use the per-worker rateLimit instead.`,
  );
}
