// The part of the preflight that needs ioredis, loaded only for a redis:// URL.
export { Redis } from 'ioredis';
export { redactUrl } from '../transports/redis/redis.connection.js';
export { sentinelClientOptions } from '../transports/redis/redis-sentinel-url.js';
