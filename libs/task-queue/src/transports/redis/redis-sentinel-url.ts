import { ConfigurationError } from '../../errors/configuration.error.js';

// Celery's Redis Sentinel URLs: `sentinel://:pw@host1:26379/0;sentinel://host2:26379/0`, one
// `sentinel://` per sentinel, separated by `;` (kombu's SentinelChannel, Celery's
// SentinelBackend). The first one's password, user and database are the master's.

/** A Redis Sentinel URL (`sentinel://…`, possibly several joined by `;`). */
export const isSentinelUrl = (url: string): boolean => /^sentinel:\/\//i.test(url);

/** Sentinel's own port, kombu's default for `sentinel://host`. */
const SENTINEL_PORT = 26379;

/**
 * The Sentinel settings that kombu takes from transport options, accepted as query parameters
 * (on any of the `;`-joined URLs): `master_name` (kombu's `master_name`), and `sentinel_password`
 * / `sentinel_username` (kombu's `sentinel_kwargs={'password': …, 'username': …}`).
 */
export interface SentinelOptions {
  /** The name the sentinels monitor the master under (`sentinel monitor <name> …`). */
  masterName?: string;
  /** The sentinels' own password (their `requirepass`), when they require one. */
  sentinelPassword?: string;
  /** The sentinels' own ACL user, with `sentinelPassword`. */
  sentinelUsername?: string;
}

const QUERY_NAMES: Record<keyof SentinelOptions, string> = {
  masterName: 'master_name',
  sentinelPassword: 'sentinel_password',
  sentinelUsername: 'sentinel_username',
};

/** What ioredis needs to reach the master through the sentinels. */
export interface SentinelConnection {
  sentinels: { host: string; port: number }[];
  name: string;
  db: number;
  username?: string;
  password?: string;
  sentinelUsername?: string;
  sentinelPassword?: string;
}

/** The `;`-separated URLs of a Sentinel URL, each parsed. */
function parts(url: string): URL[] {
  return url
    .split(';')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      if (!isSentinelUrl(part) || !URL.canParse(part)) {
        throw new ConfigurationError(
          `Redis Sentinel URL: "${part.replace(/:[^:@/]*@/, ':**@')}" is not a sentinel://host:port URL; ` +
            `list every sentinel as sentinel://[:password@]host:26379/0, separated by ";".`,
        );
      }
      return new URL(part);
    });
}

/** The Sentinel settings of the URL's query parameters (any part). */
export function sentinelOptionsOf(url: string): SentinelOptions {
  const options: SentinelOptions = {};
  for (const part of parts(url)) {
    for (const [key, name] of Object.entries(QUERY_NAMES)) {
      const value = part.searchParams.get(name);
      if (value) options[key as keyof SentinelOptions] ??= value;
    }
  }
  return options;
}

/**
 * The URL with `options` (RedisBroker / RedisResultBackend options, which win) added to its
 * query, so that every connection made from the URL (events, control, revocations) finds the
 * master; any other URL unchanged.
 */
export function withSentinelOptions(url: string, options: SentinelOptions): string {
  if (!isSentinelUrl(url)) return url;
  const given = Object.entries(QUERY_NAMES).filter(
    ([key]) => options[key as keyof SentinelOptions],
  );
  if (given.length === 0) return url;
  const chunks = parts(url);
  for (const chunk of chunks) for (const [, name] of given) chunk.searchParams.delete(name);
  const last = chunks[chunks.length - 1]!;
  for (const [key, name] of given)
    last.searchParams.set(name, options[key as keyof SentinelOptions]!);
  return chunks.map(String).join(';');
}

/**
 * The sentinels, master name, database and credentials of a Sentinel URL. Throws a
 * ConfigurationError without a master name (kombu: "'master_name' transport option must be
 * specified").
 */
export function parseSentinelUrl(url: string): SentinelConnection {
  const chunks = parts(url);
  const first = chunks[0];
  if (!first) throw new ConfigurationError('Redis Sentinel URL: no sentinel://host:port given.');
  const options = sentinelOptionsOf(url);
  if (!options.masterName) {
    throw new ConfigurationError(
      `Redis Sentinel URL ${maskSentinelUrl(url)} names no master: add ?master_name=<name> ` +
        `(the name in the sentinels' "sentinel monitor <name> …" line; Celery's ` +
        `transport_options={'master_name': …}), or pass the masterName option.`,
    );
  }
  const db = Number(first.pathname.replace(/^\//, '').replace(/\/$/, '') || 0);
  return {
    sentinels: chunks.map((chunk) => ({
      host: chunk.hostname.replace(/^\[|\]$/g, ''),
      port: chunk.port ? Number(chunk.port) : SENTINEL_PORT,
    })),
    name: options.masterName,
    db: Number.isInteger(db) ? db : 0,
    ...(first.username ? { username: decodeURIComponent(first.username) } : {}),
    ...(first.password ? { password: decodeURIComponent(first.password) } : {}),
    ...(options.sentinelUsername ? { sentinelUsername: options.sentinelUsername } : {}),
    ...(options.sentinelPassword ? { sentinelPassword: options.sentinelPassword } : {}),
  };
}

/** The database number of a Sentinel URL (its first part's path), default 0. */
export function sentinelDbOf(url: string): number {
  const path = url.split(';')[0]!.replace(/^sentinel:\/\/[^/?]*/i, '');
  const db = Number(path.replace(/^\//, '').replace(/[/?].*$/, '') || 0);
  return Number.isInteger(db) ? db : 0;
}

/** The Sentinel URL with every password (master's and `sentinel_password`) masked. */
export function maskSentinelUrl(url: string): string {
  return url
    .split(';')
    .map((part) =>
      part
        .replace(/(\/\/[^:/@]*:)[^@/]*@/, '$1***@')
        .replace(/([?&]sentinel_password=)[^&;]*/i, '$1***'),
    )
    .join(';');
}

/**
 * ioredis options that reach the master named by a Sentinel URL: asked of the sentinels at
 * every (re)connection, followed at once when they announce a failover (+switch-master), and
 * left when it answers READONLY (a demoted master that stayed up). For `new Redis(options)`.
 * @publicApi
 */
export function sentinelClientOptions(url: string): SentinelConnection & {
  role: 'master';
  failoverDetector: true;
  reconnectOnError: (error: Error) => 2 | false;
} {
  return {
    ...parseSentinelUrl(url),
    role: 'master',
    failoverDetector: true,
    reconnectOnError: (error) => (/^READONLY\b/.test(error.message) ? 2 : false),
  };
}
