import type { ConnectionOptions } from 'node:tls';
import { ConfigurationError } from '../../errors/configuration.error.js';
import type { SentinelOptions } from './redis-sentinel-url.js';

/**
 * Options of {@link RedisBroker}. kombu transport options keep kombu's names and defaults
 * (docs/protocol.md#redis-transport-options) so that Node and Python share the same keys.
 * With a `sentinel://` URL, `masterName` (kombu's `master_name` transport option) and
 * `sentinelPassword` / `sentinelUsername` (kombu's `sentinel_kwargs`) say which master to ask the
 * sentinels for, and how to log in to them (docs/brokers-and-results.md#redis-sentinel).
 * @publicApi
 */
export interface RedisBrokerOptions extends SentinelOptions {
  /**
   * Seconds a delivery may stay unacked before any worker (Node or Python) restores it to its
   * queue. kombu `visibility_timeout`; default 3600. Live Node deliveries renew their lease, so
   * only messages of vanished consumers are restored.
   */
  visibilityTimeout?: number;
  /** kombu `priority_steps`: the priority bands, ascending; default `[0, 3, 6, 9]`. */
  prioritySteps?: number[];
  /** kombu `sep` between a queue name and its band; default `"\x06\x16"`. */
  sep?: string;
  /** kombu `global_keyprefix`, prepended to every kombu key; default `''`. */
  globalKeyprefix?: string;
  /** kombu `unacked_mutex_expire` in seconds; default 300. */
  unackedMutexExpire?: number;
  /** kombu `unacked_restore_limit`: most entries restored per scan; default 0 (no limit). */
  unackedRestoreLimit?: number;
  /**
   * TLS settings for `rediss://` (Node's `tls.connect` options: `ca`, `cert`, `key`,
   * `servername`, ...). They win over the URL's `ssl_ca_certs` / `ssl_certfile` /
   * `ssl_keyfile` / `ssl_cert_reqs` parameters.
   */
  tls?: ConnectionOptions;
  /**
   * Milliseconds a publish (or `connect()`) waits for an unreachable Redis before it fails
   * with a BrokerConnectionError; default 10 000. A publish is given 1 s more per 10 MB sent.
   */
  publishTimeout?: number;
  /**
   * Milliseconds between automatic lease renewals of this process's in-flight deliveries;
   * default a quarter of the visibility timeout, at most 60 000.
   */
  leaseRenewalInterval?: number;
  /** Milliseconds between scans for due parked (delayed) messages; default 1000. */
  delayedPollInterval?: number;
  /** Milliseconds between visibility-timeout restore scans; default 10 000 (kombu: ~100 s). */
  restoreInterval?: number;
  /**
   * Most messages taken from Redis in one fetch (still capped by prefetch); default 100. Larger
   * batches mean fewer round trips per task (a fetch of 10 capped a worker near 10 / RTT).
   */
  batchSize?: number;
  /**
   * Seconds a blocking wake-up waits before the consumer re-checks its queues anyway;
   * default 5 (kombu's BRPOP uses 1).
   */
  wakeTimeout?: number;
  /**
   * Prefix of Celeriac's own extra keys (delayed zset, invalid-message list), after
   * `globalKeyprefix`; default `'celeriac:'`. kombu's keys are never renamed by it.
   */
  keyPrefix?: string;
}

/** {@link RedisBrokerOptions} with every default filled in. */
export type ResolvedRedisBrokerOptions = Required<
  Omit<RedisBrokerOptions, 'tls' | keyof SentinelOptions>
> &
  Pick<RedisBrokerOptions, 'tls'>;

/** Fill in kombu's defaults and validate the options. */
export function resolveRedisBrokerOptions(
  options: RedisBrokerOptions = {},
): ResolvedRedisBrokerOptions {
  const visibilityTimeout = options.visibilityTimeout ?? 3600;
  const prioritySteps = [...(options.prioritySteps ?? [0, 3, 6, 9])].sort((a, b) => a - b);
  if (!(visibilityTimeout > 0)) {
    throw new ConfigurationError(
      `RedisBroker: visibilityTimeout must be a positive number of seconds, got ${visibilityTimeout}.`,
    );
  }
  if (
    prioritySteps.length === 0 ||
    prioritySteps.some((s) => !Number.isInteger(s) || s < 0 || s > 9)
  ) {
    throw new ConfigurationError(
      `RedisBroker: prioritySteps must be integers 0-9 (kombu default [0, 3, 6, 9]), got ${JSON.stringify(prioritySteps)}.`,
    );
  }
  return {
    visibilityTimeout,
    prioritySteps,
    sep: options.sep ?? '\x06\x16',
    globalKeyprefix: options.globalKeyprefix ?? '',
    unackedMutexExpire: options.unackedMutexExpire ?? 300,
    unackedRestoreLimit: options.unackedRestoreLimit ?? 0,
    publishTimeout: options.publishTimeout ?? 10_000,
    leaseRenewalInterval:
      options.leaseRenewalInterval ?? Math.min(60_000, (visibilityTimeout * 1000) / 4),
    delayedPollInterval: options.delayedPollInterval ?? 1000,
    restoreInterval: options.restoreInterval ?? 10_000,
    batchSize: Math.max(1, options.batchSize ?? 100),
    wakeTimeout: options.wakeTimeout ?? 5,
    keyPrefix: options.keyPrefix ?? 'celeriac:',
    tls: options.tls,
  };
}
