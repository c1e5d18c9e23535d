import { ConfigurationError } from '../../errors/configuration.error.js';
import type { RedisBrokerOptions } from './redis-broker.options.js';
import { isSentinelUrl } from './redis-sentinel-url.js';

/** A broker URL split into the connection URL (kombu parameters removed) and the options. */
export interface ParsedRedisBrokerUrl {
  /** The URL without the transport-option query parameters (ioredis' own ones are kept). */
  url: string;
  options: RedisBrokerOptions;
}

type OptionParser = (value: string, name: string) => Partial<RedisBrokerOptions>;

const seconds =
  (key: 'visibilityTimeout' | 'unackedMutexExpire'): OptionParser =>
  (value, name) => ({ [key]: positiveNumber(value, name) });

/**
 * kombu `broker_transport_options` (docs/protocol.md#redis-transport-options) accepted as query
 * parameters, by their kombu names, plus kombu 5.6's `unacked_restore_interval`.
 */
const PARSERS: Record<string, OptionParser> = {
  visibility_timeout: seconds('visibilityTimeout'),
  unacked_mutex_expire: seconds('unackedMutexExpire'),
  unacked_restore_limit: (value, name) => ({ unackedRestoreLimit: integer(value, name) }),
  unacked_restore_interval: (value, name) => ({
    restoreInterval: positiveNumber(value, name) * 1000,
  }),
  global_keyprefix: (value) => ({ globalKeyprefix: value }),
  sep: (value) => ({ sep: value }),
  priority_steps: (value, name) => ({ prioritySteps: integerList(value, name) }),
};

/**
 * Read kombu transport options from a Redis broker URL's query, e.g.
 * `redis://127.0.0.1:6379/0?visibility_timeout=30&global_keyprefix=app:`, so that a URL alone
 * (env var, CLI flag) configures the transport as `broker_transport_options` does in Python.
 * Explicit options win over the URL's. Throws a ConfigurationError for a bad value.
 */
export function parseRedisBrokerUrl(
  url: string,
  explicit: RedisBrokerOptions = {},
): ParsedRedisBrokerUrl {
  const options: RedisBrokerOptions = {};
  // A Sentinel URL joins one URL per sentinel with ";": the options may follow any of them.
  const parts = (isSentinelUrl(url) ? url.split(';') : [url]).map((part) => {
    if (!URL.canParse(part)) return part;
    const parsed = new URL(part);
    for (const [name, parse] of Object.entries(PARSERS)) {
      const value = parsed.searchParams.get(name);
      if (value === null) continue;
      Object.assign(options, parse(value, name));
      parsed.searchParams.delete(name);
    }
    return parsed.toString();
  });
  return { url: parts.join(';'), options: { ...options, ...explicit } };
}

/**
 * The `global_keyprefix` of a Redis URL ('' without one). The stores that live on the broker's
 * Redis (beat schedules, revocations, global rate limits) put it before their own prefix, as
 * kombu puts it before every key: apps told apart by it do not share those keys either.
 */
export function globalKeyprefixOf(url: string): string {
  return parseRedisBrokerUrl(url).options.globalKeyprefix ?? '';
}

function positiveNumber(value: string, name: string): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number <= 0) {
    throw new ConfigurationError(
      `Redis broker URL: ${name} must be a positive number of seconds, got "${value}".`,
    );
  }
  return number;
}

function integer(value: string, name: string): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isInteger(number) || number < 0) {
    throw new ConfigurationError(
      `Redis broker URL: ${name} must be a non-negative integer, got "${value}".`,
    );
  }
  return number;
}

/** `0,3,6,9`, `[0, 3, 6, 9]` (JSON) or `0 3 6 9`. */
function integerList(value: string, name: string): number[] {
  const parts = value
    .replace(/^\[|\]$/g, '')
    .split(/[\s,]+/)
    .filter(Boolean);
  if (parts.length === 0) {
    throw new ConfigurationError(
      `Redis broker URL: ${name} must list integers, e.g. "0,3,6,9", got "${value}".`,
    );
  }
  return parts.map((part) => integer(part, name));
}
