import { randomUUID } from 'node:crypto';
import { BrokerConnectionError, type Revocation } from 'celeriac';
import { RedisRevocationStore } from 'celeriac/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, PrivateRedisServer } from '../support/redis-test-server.js';

/**
 * Revocations live in the Redis database of their app. Redis pub/sub channels are shared by
 * every database of a server, so the live-update channel must name its database, as kombu's
 * fanout channels do (`/<db>.`): otherwise an app on db 1 (a Python caller's revoke handled by a
 * Node worker there, or `TaskClient.revoke`) revokes in every app on db 2, 3... A private
 * redis-server, so no other suite's revocations reach these subscribers.
 */
describe('Redis revocation store: one database per app', () => {
  let server: PrivateRedisServer;
  const stores: RedisRevocationStore[] = [];

  const open = async (db: number): Promise<RedisRevocationStore> => {
    const store = new RedisRevocationStore(`redis://127.0.0.1:${server.port}/${db}`);
    stores.push(store);
    await store.connect();
    return store;
  };
  const revocation = (id: string): Revocation => ({
    id,
    expiresAt: Date.now() + 600_000,
    terminate: false,
    reason: 'revoked',
  });

  beforeAll(async () => {
    server = await PrivateRedisServer.start();
  });
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await server?.destroy();
  });

  it('a revocation added on db 1 reaches subscribers on db 1 and not on db 2', async () => {
    const [onDb1, onDb2, otherDb1, otherDb2] = await Promise.all([
      open(1),
      open(2),
      open(1),
      open(2),
    ]);
    const heard = { db1: [] as string[], db2: [] as string[] };
    await onDb1.subscribe((list) => heard.db1.push(...list.map((r) => r.id)));
    await onDb2.subscribe((list) => heard.db2.push(...list.map((r) => r.id)));

    const foreign = `db1-${randomUUID()}`;
    const marker = `db2-${randomUUID()}`;
    await otherDb1.add([revocation(foreign)]);
    // Published after `foreign` (one subscriber connection receives in publish order): once
    // db 2 hears the marker, it would already have heard `foreign` had it leaked.
    await otherDb2.add([revocation(marker)]);

    await expect.poll(() => heard.db2, { timeout: 10_000 }).toContain(marker);
    await expect.poll(() => heard.db1, { timeout: 10_000 }).toContain(foreign);
    expect(heard.db2).not.toContain(foreign);
    expect((await onDb2.load()).map((r) => r.id)).toEqual([marker]);
  });
});

describe('Redis revocation store that cannot connect', () => {
  it('connect() fails with a BrokerConnectionError naming the store and the cause', async () => {
    const url = `redis://127.0.0.1:${await freePort()}/0`;
    const store = new RedisRevocationStore(url, 'celeriac:', 1_000);
    try {
      const error = await store.connect().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(BrokerConnectionError);
      expect((error as Error).message).toMatch(
        /revocation store, Redis at redis:\/\/127\.0\.0\.1:\d+\/0, within 1000 ms: connect ECONNREFUSED/,
      );
    } finally {
      await store.close();
    }
  });
});
