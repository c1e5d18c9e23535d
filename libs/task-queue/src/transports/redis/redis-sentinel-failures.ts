import type { Redis } from 'ioredis';

/**
 * Sentinel set-ups that retrying cannot cure, told apart from sentinels that are only down: in
 * a full round over the URL's sentinels, none gave the master's address, and one of them
 * answered that it knows no master by that name, or refused the credentials given to it.
 * ioredis reports each sentinel's failure as a `sentinelError` event and the end of a round as
 * an `error` ("All sentinels are unreachable. Retrying from scratch…").
 */

/**
 * ioredis: a sentinel answered SENTINEL get-master-addr-by-name with nothing, or (Redis 7, to
 * the SENTINEL sentinels that follows) "No such master with that name".
 */
const NO_SUCH_MASTER =
  /^(?:connected to sentinel (\S+) successfully, but got an invalid reply|failed to connect to sentinel (\S+) because ERR No such master)/;
/** ioredis: a sentinel refused the connection's credentials. */
const SENTINEL_AUTH =
  /^failed to connect to sentinel (\S+) because ((?:WRONGPASS|NOAUTH)\b.*|ERR invalid (?:password|username-password).*)/i;
/** ioredis: the end of a round in which no sentinel gave the master's address. */
export const ALL_SENTINELS_FAILED = /^All sentinels are unreachable/;
/** ioredis: any one sentinel's failure in a round, with its address. */
const SENTINEL_FAILED =
  /^(?:failed to connect to sentinel (\S+) because (.*)|connected to sentinel (\S+) successfully, but got an invalid reply)/;

/** Each client's sentinels, in the URL's order, with what the last try of each got. */
const attempts = new WeakMap<Redis, Map<string, string>>();

/**
 * The sentinels `client` tried and why each gave no master address
 * (`127.0.0.1:26379: no connection (refused or closed)`), or an empty list before its first try.
 */
export function sentinelAttempts(client: Redis): string[] {
  return [...(attempts.get(client) ?? new Map<string, string>())].map(
    ([sentinel, why]) => `${sentinel}: ${why}`,
  );
}

/** A sentinel's failure as a short cause; ioredis says "Connection is closed" for a refusal. */
function sentinelCause(error: string, reply: boolean, name: string): string {
  if (reply) return `knows no master named "${name}"`;
  const text = error.replace(/\.$/, '');
  if (text === 'Connection is closed') return 'no connection (refused, or closed at once)';
  return text;
}

/**
 * Follow `client`'s rounds over its sentinels until `settled()`, calling `fail` with the cause
 * and what to fix (without a final period) when a round shows a misconfiguration.
 */
export function trackSentinelFailures(
  client: Redis,
  settled: () => boolean,
  fail: (failure: string) => void,
): void {
  const name = client.options.name ?? '';
  let unknownTo: string | undefined;
  let refusedBy: { sentinel: string; cause: string } | undefined;
  const tried = new Map<string, string>();
  attempts.set(client, tried);
  client.on('sentinelError', (error: Error) => {
    const failed = SENTINEL_FAILED.exec(error.message);
    if (failed) {
      tried.set(failed[1] ?? failed[3]!, sentinelCause(failed[2] ?? '', !failed[1], name));
    }
    if (settled()) return;
    const unknown = NO_SUCH_MASTER.exec(error.message);
    if (unknown) unknownTo ??= unknown[1] ?? unknown[2];
    const refused = SENTINEL_AUTH.exec(error.message);
    if (refused) refusedBy ??= { sentinel: refused[1]!, cause: refused[2]!.replace(/\.$/, '') };
  });
  client.on('error', (error: Error) => {
    if (settled() || !ALL_SENTINELS_FAILED.test(error.message)) return;
    if (unknownTo) {
      fail(
        `the sentinel at ${unknownTo} knows no master named "${name}" (SENTINEL ` +
          `get-master-addr-by-name returned nothing). Set master_name to the name of the ` +
          `sentinels' "sentinel monitor <name> <host> <port> <quorum>" line`,
      );
    } else if (refusedBy) {
      fail(
        `the sentinel at ${refusedBy.sentinel} refused the connection's credentials ` +
          `(${refusedBy.cause.split(/[.,]/)[0]}): give the sentinels' own password as ` +
          `?sentinel_password=… (Celery's sentinel_kwargs={'password': …}); the URL's password ` +
          `is the master's`,
      );
    }
    unknownTo = undefined;
    refusedBy = undefined;
  });
}
