import type { Broker } from '../../contracts/broker.interface.js';
import type { ResultBackend } from '../../contracts/result-backend.interface.js';

import { isSentinelUrl, sentinelDbOf } from './redis-sentinel-url.js';

/** A `redis://`, `rediss://` or `sentinel://` URL (the schemes RedisBroker takes). */
export const isRedisUrl = (value: unknown): value is string =>
  typeof value === 'string' && (/^rediss?:/.test(value) || isSentinelUrl(value));

/**
 * The Redis that the worker's side stores (revocations, cluster-wide rate limits) live in: the
 * broker's, else the result backend's, else none.
 */
export function redisUrlOf(
  broker: string | Broker,
  resultBackend: string | ResultBackend | false | undefined,
): string | undefined {
  if (isRedisUrl(broker)) return broker;
  return isRedisUrl(resultBackend) ? resultBackend : undefined;
}

/** The database number of a `redis://host:port/db` or Sentinel URL (kombu's `{db}`), default 0. */
export function dbOf(url: string): number {
  if (isSentinelUrl(url)) return sentinelDbOf(url);
  try {
    const db = Number(new URL(url).pathname.replace(/^\//, '') || 0);
    return Number.isInteger(db) ? db : 0;
  } catch {
    return 0;
  }
}
