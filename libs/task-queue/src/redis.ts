// `celeriac/redis`: the Redis transport (needs the optional peer ioredis).
export { RedisBroker } from './brokers/redis/redis.broker.js';
export type { RedisBrokerOptions } from './brokers/redis/redis-broker.options.js';
export {
  RedisResultBackend,
  type RedisResultBackendOptions,
} from './backends/redis/redis.result-backend.js';
export {
  resultTuple,
  type ChordPartOutcome,
  type ResultTuple,
  type SavedGroup,
} from './backends/redis/redis-chord.js';
export { RedisRevocationStore } from './revocation/redis.revocation-store.js';
