import type { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';

/**
 * A client that never gives up: reconnects with capped backoff, keeps commands queued while
 * Redis is away and resends unanswered ones (so consumers resume after a restart). Callers
 * bound their own waits (see {@link waitUntilReady}).
 */
export function createRedisClient(url: string, role: string, logger: Logger): Redis {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    autoResendUnfulfilledCommands: true,
    connectionName: `celeriac-${role}`,
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
  });
  watchConnection(client, `${role} connection to ${redactUrl(url)}`, logger);
  return client;
}

/** Log a lost connection once, and its recovery, instead of one line per retry. */
export function watchConnection(client: Redis, what: string, logger: Logger): void {
  let down = false;
  client.on('error', (error: Error) => {
    if (down) return;
    down = true;
    logger.warn(
      `Redis ${what} failed: ${error.message}. Retrying with backoff; work resumes by itself ` +
        `once Redis is reachable (check that redis-server is running).`,
    );
  });
  client.on('ready', () => {
    if (!down) return;
    down = false;
    logger.log(`Redis ${what} is back.`);
  });
}

/**
 * Resolve once the client is ready, starting a lazy connection if needed; resolve false if it
 * is not ready within `timeoutMs`. All waiters of a client share one `ready` listener, so many
 * pending publishes during an outage add no listeners (no MaxListenersExceededWarning).
 */
export function waitUntilReady(client: Redis, timeoutMs: number): Promise<boolean> {
  if (client.status === 'ready') return Promise.resolve(true);
  if (client.status === 'wait') client.connect().catch(() => undefined);
  if (client.status === 'end') return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    void nextReady(client).then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

const readyEvents = new WeakMap<Redis, Promise<void>>();

/** The client's next `ready` event, through one listener however many wait for it. */
function nextReady(client: Redis): Promise<void> {
  let ready = readyEvents.get(client);
  if (!ready) {
    ready = new Promise((resolve) => {
      client.once('ready', () => {
        readyEvents.delete(client);
        resolve();
      });
    });
    readyEvents.set(client, ready);
  }
  return ready;
}

/** Run `operation` within `timeoutMs`; reject with the error `onTimeout` builds otherwise. */
export function withTimeout<T>(
  operation: Promise<T>,
  timeoutMs: number,
  onTimeout: () => Error,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), Math.max(0, timeoutMs));
  });
  return Promise.race([operation, timeout]).finally(() => clearTimeout(timer));
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
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
  if (client.status === 'ready') {
    await withTimeout(client.quit(), 1000, () => new Error('quit timed out')).catch(
      () => undefined,
    );
  }
  client.disconnect();
}
