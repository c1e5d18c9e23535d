// `celeriac/redis`: the Redis transport (needs the optional peer ioredis).
export { RedisBroker } from './transports/redis/redis.broker.js';
export type { RedisBrokerOptions } from './transports/redis/redis-broker.options.js';
export {
  RedisResultBackend,
  type RedisResultBackendOptions,
} from './transports/redis/redis.result-backend.js';
export {
  resultTuple,
  type ChordPartOutcome,
  type ResultTuple,
  type SavedGroup,
} from './results/chord-parts.js';
export { RedisRevocationStore } from './transports/redis/redis.revocation-store.js';
export {
  RedisScheduleStore,
  type RedisScheduleStoreOptions,
} from './transports/redis/redis.schedule-store.js';
export {
  isSentinelUrl,
  sentinelClientOptions,
  type SentinelOptions,
} from './transports/redis/redis-sentinel-url.js';
