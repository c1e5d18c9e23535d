import type { Redis } from 'ioredis';
import { BrokerConnectionError } from '../../errors/broker-connection.error.js';
import { bootFailure, onBootFailure } from './redis-boot-failures.js';
import { unreachableCause } from './redis.connection.js';

// Waiting for a Redis client to be ready, and the message of a wait that ran out.

/**
 * Resolve once the client is ready, starting a lazy connection if needed; resolve false if it
 * is not ready within `timeoutMs`. All waiters of a client share one `ready` listener, so many
 * pending publishes during an outage add no listeners (no MaxListenersExceededWarning).
 */
export function waitUntilReady(client: Redis, timeoutMs: number): Promise<boolean> {
  if (client.status === 'ready') return Promise.resolve(true);
  if (client.status === 'wait') client.connect().catch(() => undefined);
  if (client.status === 'end' || bootFailure(client)) return Promise.resolve(false);
  return new Promise((resolve) => {
    // A failure no retry can cure (see redis-boot-failures.ts) ends the wait at once.
    const stop = onBootFailure(client, () => {
      clearTimeout(timer);
      resolve(false);
    });
    const timer = setTimeout(() => {
      stop();
      resolve(false);
    }, timeoutMs);
    void nextReady(client).then(() => {
      clearTimeout(timer);
      stop();
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

/**
 * Resolve once `client` is ready; else (after `timeoutMs`, or at once for a URL that can never
 * work) throw a BrokerConnectionError: `failure` (which names Redis and its URL), then why, and
 * `advice` on what to check.
 */
export async function ensureReady(
  client: Redis,
  timeoutMs: number,
  failure: string,
  advice: string,
): Promise<void> {
  if (await waitUntilReady(client, timeoutMs)) return;
  throw new BrokerConnectionError(failure + notReadyReason(client, timeoutMs, advice));
}

/**
 * The end of a "could not connect to Redis at <url>" message: `: <cause and fix>.` when the
 * client can never connect as configured (a missing database, another server on the port,
 * refused credentials), which ends the wait at once; else ` within <timeout> ms` and the cause.
 */
export function notReadyReason(client: Redis, timeoutMs: number, advice: string): string {
  const failure = bootFailure(client);
  if (failure) return `: ${failure}.`;
  return ` within ${timeoutMs} ms${unreachableCause(client, advice)}`;
}
