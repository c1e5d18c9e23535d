import type { Redis } from 'ioredis';
import { trackSentinelFailures } from './redis-sentinel-failures.js';

/**
 * Connection failures that retrying cannot cure, told apart from an outage: a Redis that is
 * down (ECONNREFUSED), restarting or slow is waited for; these are not. They count only until
 * the client's first `ready`: afterwards (a password rotated under a running worker, say) the
 * client keeps reconnecting, as for any outage.
 */

/** Redis' answer to SELECT of a database it does not have. */
export const DB_OUT_OF_RANGE = /DB index is out of range/i;
/**
 * ioredis's error for a reply that is not RESP (5: `Protocol error, got "A" as reply type
 * byte`, 6: `Unknown RESP type 65 "A"`): another server listens on that port.
 */
export const FOREIGN_REPLY = /(?:Protocol error, got|Unknown RESP type \d+) "(.)"/;
/** Refused credentials: a wrong password or user (WRONGPASS, Redis < 6 `invalid password`), or none given (NOAUTH). */
const AUTH_REFUSED = /^(?:WRONGPASS|NOAUTH)\b|^ERR invalid (?:password|username-password)/i;
/**
 * Connections in a row that the server closed, after they were opened, without answering a
 * thing: PostgreSQL does that to a Redis command, so does a Redis that only speaks TLS.
 */
const SILENT_CLOSES = 3;

interface BootState {
  ready: boolean;
  /** Whether the current connection got past TCP connect. */
  open: boolean;
  /** Whether the current connection got an error reply (so it was answered). */
  answered: boolean;
  silentCloses: number;
  failure?: string;
  waiters: Set<() => void>;
}

const states = new WeakMap<Redis, BootState>();

/** Follow `client`'s connections until its first `ready`, to tell hopeless failures apart. */
export function trackBootFailures(client: Redis): void {
  const state: BootState = {
    ready: false,
    open: false,
    answered: false,
    silentCloses: 0,
    waiters: new Set(),
  };
  states.set(client, state);
  client.on('ready', () => {
    state.ready = true;
    state.answered = true;
    state.failure = undefined;
  });
  client.on('connect', () => {
    state.open = true;
    state.answered = false;
  });
  client.on('error', (error: Error) => {
    if (state.ready || state.failure) return;
    const failure = hopeless(error.message);
    if (failure) fail(state, failure);
    else if (error.name === 'ReplyError') state.answered = true;
  });
  if (client.options.sentinels) {
    trackSentinelFailures(
      client,
      () => state.ready || state.failure !== undefined,
      (failure) => fail(state, failure),
    );
  }
  // Over TLS, a server that hangs up is explained by the TLS error (see tls-options.ts).
  const tls = Boolean(client.options.tls);
  client.on('close', () => {
    const opened = state.open;
    state.open = false;
    // A refused connection never opened: Redis is down, and is waited for.
    if (state.ready || state.failure || !opened || tls) return;
    if (state.answered) {
      state.silentCloses = 0;
      return;
    }
    // Closed after a TCP connect, with nothing answered: not Redis, or Redis over TLS only.
    if (++state.silentCloses < SILENT_CLOSES) return;
    fail(
      state,
      `the server there closed ${SILENT_CLOSES} connections in a row without answering: it is ` +
        `not Redis (PostgreSQL does this), or a Redis that only accepts TLS (use rediss:// and ` +
        `its ssl_* parameters). Check the URL's host and port: Redis listens on 6379 by default`,
    );
  });
}

/**
 * Why `client` can never connect as configured (the cause and what to fix, without a final
 * period), or undefined while it may still (it was ready once, or is only unreachable).
 */
export function bootFailure(client: Redis): string | undefined {
  return states.get(client)?.failure;
}

/** Call `listener` once when `client` meets a hopeless failure; returns the unsubscribe. */
export function onBootFailure(client: Redis, listener: () => void): () => void {
  const state = states.get(client);
  if (!state) return () => undefined;
  state.waiters.add(listener);
  return () => state.waiters.delete(listener);
}

function fail(state: BootState, failure: string): void {
  state.failure = failure;
  const waiters = [...state.waiters];
  state.waiters.clear();
  for (const waiter of waiters) waiter();
}

/** The cause and what to fix of a hopeless error message, else undefined. */
function hopeless(message: string): string | undefined {
  const text = message.replace(/\.$/, '');
  if (DB_OUT_OF_RANGE.test(text)) {
    return (
      `${text}: the URL names a database the server does not have (see its "databases" ` +
      `setting, 16 by default: 0 to 15). Fix the database number at the end of the URL`
    );
  }
  const foreign = FOREIGN_REPLY.exec(text);
  if (foreign) {
    const amqp = foreign[1] === 'A' ? ', as RabbitMQ answers on its AMQP port' : '';
    return (
      `the server there does not speak Redis (its reply began with "${foreign[1]}"${amqp}). ` +
      `Check the URL's port: Redis listens on 6379 by default`
    );
  }
  if (AUTH_REFUSED.test(text)) {
    const none = /^NOAUTH\b/i.test(text);
    return (
      `Redis refused the connection's credentials (${text.split(/[.,]/)[0]}): ` +
      (none
        ? `the server requires a password and the URL gives none. Put it in the URL, ` +
          `redis://:password@host:6379/0 (or redis://user:password@... with an ACL user)`
        : `the URL's password (or user) is wrong. Fix it in the URL, ` +
          `redis://:password@host:6379/0 (or redis://user:password@... with an ACL user)`)
    );
  }
  return undefined;
}
