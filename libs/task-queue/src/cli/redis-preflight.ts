import { describeConnectionError, takeTlsOptions } from '../utils/tls-options.js';
import { loadOptionalPeer } from '../utils/load-optional-peer.js';
import { CliError } from './cli-error.js';

/** How long a command waits for Redis to answer before it gives up, ms. */
const PREFLIGHT_TIMEOUT_MS = 1_500;

/**
 * One connection attempt to each Redis URL, without retries: a command fails within about
 * 1.5 s with the cause (refused, unknown host, TLS, wrong database) instead of waiting out the
 * library's reconnect window (up to 10 s per connection), which suits long-running workers
 * but not an operator at a prompt. Other URLs are left to their transport.
 */
export async function checkRedisReachable(...urls: (string | undefined)[]): Promise<void> {
  const redis = [...new Set(urls)].filter(
    (url): url is string => url !== undefined && /^(rediss?|sentinel):\/\//.test(url),
  );
  if (redis.length === 0) return;
  const { Redis, redactUrl, sentinelClientOptions } = await loadOptionalPeer(
    'ioredis',
    'a redis:// or sentinel:// URL',
    () => import('./redis-preflight.client.js'),
  );
  await Promise.all(
    redis.map(async (url) => {
      const once = {
        lazyConnect: true,
        retryStrategy: () => null,
        maxRetriesPerRequest: 0,
        enableOfflineQueue: false,
        connectTimeout: PREFLIGHT_TIMEOUT_MS,
        connectionName: 'celeriac-cli-check',
      };
      const sentinel = url.startsWith('sentinel:');
      // Through the sentinels: one round over them, for the master's address, then the master.
      const client = sentinel
        ? new Redis({
            ...sentinelClientOptions(url),
            ...once,
            sentinelRetryStrategy: () => null,
            failoverDetector: false,
          })
        : ((): InstanceType<typeof Redis> => {
            const { url: plain, tls } = takeTlsOptions(url);
            return new Redis(plain, { ...once, ...(tls ? { tls } : {}) });
          })();
      // The connect promise says only "Connection is closed"; the error event has the cause.
      let cause: unknown;
      client.on('error', (error: unknown) => (cause ??= error));
      try {
        await client.connect();
        await client.ping();
        // A failed SELECT (database out of range) is reported as an error, not by connect().
        if (cause) throw cause;
      } catch (error) {
        const text = describeConnectionError(cause ?? error, url, false).replace(/\.$/, '');
        throw new CliError(
          `Could not connect to Redis at ${redactUrl(url)}: ${text}. ` +
            (sentinel
              ? `Check that the sentinels are running, that the URL lists their host and ` +
                `port, and that master_name is the name they monitor.`
              : `Check that Redis is running and that the URL's host, port and database are right.`),
        );
      } finally {
        client.disconnect();
      }
    }),
  );
}
