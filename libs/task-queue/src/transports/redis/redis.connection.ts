import { withTimeout } from '../../utils/with-timeout.js';
import type { ConnectionOptions } from 'node:tls';
import type { Logger } from '@nestjs/common';
import { Redis, type RedisOptions } from 'ioredis';
import { isSentinelUrl, maskSentinelUrl, sentinelClientOptions } from './redis-sentinel-url.js';
import {
  describeConnectionError,
  isTlsError,
  presentsClientCertificate,
  takeTlsOptions,
} from '../../utils/tls-options.js';
import { markStalled, stalledFor } from './redis-stalls.js';
import { DB_OUT_OF_RANGE, FOREIGN_REPLY, trackBootFailures } from './redis-boot-failures.js';
import { ALL_SENTINELS_FAILED, sentinelAttempts } from './redis-sentinel-failures.js';

/**
 * The connections of one role (a client and its duplicates for the same purpose): an outage
 * is logged once for the role, when its first connection fails, and its recovery once every
 * one of them is back.
 */
interface RoleWatch {
  url: string;
  logger: Logger;
  role: string;
  /** Whether the connection presents a client certificate (TLS resets are explained without). */
  clientCertificate: boolean;
  /** Connections of the role that are down, with their last error. */
  down: Map<Redis, Error>;
  /** Roles of duplicates made from this client, by role name. */
  duplicates: Map<string, RoleWatch>;
}

const watches = new WeakMap<Redis, RoleWatch>();

/**
 * A client that never gives up: reconnects with capped backoff, keeps commands queued while
 * Redis is away and resends unanswered ones (so consumers resume after a restart). Callers
 * bound their own waits (see `waitUntilReady` in redis-ready.ts). TLS settings come from the URL's
 * `ssl_*` parameters and `tls` (which wins).
 */
export function createRedisClient(
  url: string,
  role: string,
  logger: Logger,
  tlsOptions?: ConnectionOptions,
): Redis {
  const common: RedisOptions = {
    lazyConnect: true,
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    autoResendUnfulfilledCommands: true,
    connectionName: `celeriac-${role}`,
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
  };
  let client: Redis;
  if (isSentinelUrl(url)) {
    client = new Redis({ ...common, ...sentinelClientOptions(url) });
  } else {
    const { url: plain, tls } = takeTlsOptions(url, tlsOptions);
    client = new Redis(plain, { ...common, ...(tls ? { tls } : {}) });
  }
  watch(client, {
    url,
    logger,
    role,
    clientCertificate: presentsClientCertificate(url, tlsOptions),
    down: new Map(),
    duplicates: new Map(),
  });
  return client;
}

/**
 * A second connection with `client`'s settings (subscribers, blocking reads) for `role`,
 * watched like the first: an outage is logged once per role, never left as an unhandled
 * error event.
 */
export function duplicateClient(client: Redis, role: string, connectionName: string): Redis {
  const parent = watches.get(client);
  const copy = client.duplicate({ connectionName });
  if (!parent) {
    copy.on('error', () => undefined);
    return copy;
  }
  let group = parent.duplicates.get(role);
  if (!group) {
    group = {
      url: parent.url,
      logger: parent.logger,
      role,
      clientCertificate: parent.clientCertificate,
      down: new Map(),
      duplicates: new Map(),
    };
    parent.duplicates.set(role, group);
  }
  watch(copy, group);
  return copy;
}

/**
 * Log a lost connection once (with the URL, credentials masked, the cause, and what happens
 * next) and its recovery, instead of one line per retry.
 */
function watch(client: Redis, group: RoleWatch): void {
  watches.set(client, group);
  trackBootFailures(client);
  const what = `${group.role} connection to ${redactUrl(group.url)}`;
  client.on('error', (error: Error) => {
    // SELECT of a database the server does not have: ioredis goes on in database 0, where every
    // read and write would land silently. Stop this client for good; its callers fail naming it.
    if (DB_OUT_OF_RANGE.test(error.message)) {
      group.down.set(client, error);
      group.logger.error(
        `Redis ${what} failed: ${error.message}: the URL names a database the server does not ` +
          `have (see its "databases" setting). Fix the URL; nothing is read or written meanwhile.`,
      );
      client.disconnect();
      return;
    }
    const first = group.down.size === 0;
    // A TLS failure, or a reply that is not Redis's, is often followed by the reset of the
    // same socket: keep that cause.
    const previous = group.down.get(client);
    const telling = (e: Error): boolean => isTlsError(e) || FOREIGN_REPLY.test(e.message);
    if (!previous || !telling(previous) || telling(error)) group.down.set(client, error);
    if (!first) return;
    const cause = describeConnectionError(error, group.url, group.clientCertificate);
    group.logger.warn(
      isTlsError(error)
        ? `Redis ${what} failed: ${cause}. Retrying with backoff.`
        : `Redis ${what} failed: ${cause}. Reconnecting with backoff; work resumes by itself ` +
            `once Redis is reachable (check that redis-server is running).`,
    );
  });
  const recovered = (): void => {
    if (!group.down.delete(client) || group.down.size > 0) return;
    group.logger.log(`Redis ${what} is back.`);
  };
  client.on('ready', recovered);
  // A connection closed for good (quit) is no longer part of an outage.
  client.on('end', () => {
    // Kept when the client was stopped for a missing database: callers report that cause.
    if (!DB_OUT_OF_RANGE.test(group.down.get(client)?.message ?? '')) group.down.delete(client);
  });
}

/**
 * The end of a "could not reach Redis" message: `: <cause>.` when the client saw a connection
 * error (a TLS failure spelled out with what to pass), else `. Check that Redis is running and
 * reachable, <advice>.`
 */
export function unreachableCause(client: Redis, advice: string): string {
  const problem = connectionProblem(client);
  if (!problem) return `. Check that Redis is running and reachable, ${advice}.`;
  if (ALL_SENTINELS_FAILED.test(problem)) {
    // ioredis words a refused connection to a sentinel "Connection is closed": no cause.
    const last = /Last error: (.*)$/
      .exec(problem)?.[1]
      ?.replace(/\.$/, '')
      .replace(/^Connection is closed$/, '');
    const tried = sentinelAttempts(client);
    const detail = tried.length
      ? ` (tried ${tried.join('; ')})`
      : last
        ? ` (last error: ${last})`
        : '';
    return (
      `: no sentinel of the URL gave the master's address${detail}. ` +
      `Check that the sentinels are running and that the URL lists their host and port ` +
      `(sentinel://host1:26379/0;sentinel://host2:26379/0)`
    );
  }
  const foreign = FOREIGN_REPLY.exec(problem);
  if (foreign) {
    const amqp = foreign[1] === 'A' ? ', as RabbitMQ answers on its AMQP port' : '';
    return (
      `: the server there does not speak Redis (its reply began with "${foreign[1]}"${amqp}). ` +
      `Check the URL's port: Redis listens on 6379 by default.`
    );
  }
  // A plain network failure: say what to check (TLS problems come with their own advice).
  const network = /\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ETIMEDOUT)\b/.test(problem);
  const check = network
    ? " Check that Redis is running and that the URL's host and port are right."
    : '';
  return `: ${problem.replace(/\.$/, '')}.${check}`;
}

/**
 * True while `client` is in an outage (its connection lost, or not ready since a connection
 * error), or its server is stalled (see {@link answerWithin}): a command sent now waits for
 * Redis to come back, so shutdown paths do not wait for its answer.
 */
export function inOutage(client: Redis): boolean {
  if (stalledFor(client) !== undefined) return true;
  if (client.status === 'ready') return false;
  return client.status === 'reconnecting' || watches.get(client)?.down.has(client) === true;
}

/**
 * Wait at most `timeoutMs` for `reply`, a command sent on `client`, for paths that leave the
 * command queued in the client when they give up (requeues, shutdown). During an outage, or
 * while the server is stalled, they fail at once; a reply that does not come in time marks the
 * server stalled until it comes. Redis answers in order, and a server that left one command
 * unanswered (SIGSTOP, a partition that drops packets) would make every later step of a
 * shutdown wait its full timeout in turn. `failed` gets the reason, worded after "Redis".
 */
export function answerWithin<T>(
  client: Redis,
  reply: Promise<T>,
  timeoutMs: number,
  failed: (reason: string) => Error,
): Promise<T> {
  const stalled = stalledFor(client);
  if (stalled !== undefined || inOutage(client)) {
    reply.catch(() => undefined); // queued in the client until Redis answers
    return Promise.reject(
      failed(
        stalled === undefined
          ? 'is unreachable'
          : `has not answered a command sent ${Math.round(stalled / 1000)} s ago`,
      ),
    );
  }
  return withTimeout(reply, timeoutMs, () => {
    markStalled(client, reply, timeoutMs);
    return failed(`did not answer within ${timeoutMs} ms`);
  });
}

/** Why `client` cannot reach Redis right now (TLS causes spelled out), or undefined. */
export function connectionProblem(client: Redis): string | undefined {
  const group = watches.get(client);
  const error = group?.down.get(client);
  return error ? describeConnectionError(error, group!.url, group!.clientCertificate) : undefined;
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  if (isSentinelUrl(url)) return maskSentinelUrl(url);
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

/** Close a client: QUIT when connected, otherwise just drop it. Never throws. */
export async function closeClient(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  if (client.status === 'ready' && !inOutage(client)) {
    await answerWithin(client, client.quit(), 1000, () => new Error('quit timed out')).catch(
      () => undefined,
    );
  }
  client.disconnect();
}
