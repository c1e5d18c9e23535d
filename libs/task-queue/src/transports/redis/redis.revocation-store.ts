import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { Revocation, RevocationStore } from '../../contracts/revocation-store.interface.js';
import { createRedisClient, duplicateClient, redactUrl } from './redis.connection.js';
import { ensureReady } from './redis-ready.js';
import { dbOf } from './redis-url.js';

/**
 * Revocations in Redis: a hash `<prefix>revoked` (task id → JSON revocation) read at worker
 * start, and a pub/sub channel `/<db>.<prefix>revoked` for live updates. Pub/sub channels are
 * shared by all databases of a server, so the channel names the database, as kombu's fanout
 * channels do; without it an app on db 1 would revoke in the apps on db 2. Expired entries are
 * removed when loaded.
 */
export class RedisRevocationStore implements RevocationStore {
  private readonly logger = new Logger('RevokedTasks');
  private readonly client: Redis;
  private subscriber?: Redis;
  private readonly key: string;
  private readonly channel: string;

  constructor(
    private readonly url: string,
    keyPrefix = 'celeriac:',
    /** How long `connect()` waits for Redis, ms. */
    private readonly connectTimeoutMs = 10_000,
  ) {
    this.client = createRedisClient(url, 'revocations', this.logger);
    this.key = `${keyPrefix}revoked`;
    this.channel = `/${dbOf(url)}.${this.key}`;
  }

  /** Fails with BrokerConnectionError when Redis is not reachable within the connect timeout. */
  async connect(): Promise<void> {
    // Reported ready, the worker would follow revocations through commands queued until Redis
    // came back (forever): revoked tasks would run, and nobody would know why.
    await ensureReady(
      this.client,
      this.connectTimeoutMs,
      `Could not connect to the revocation store, Redis at ${redactUrl(this.url)},`,
      'and that the broker (or result backend) URL is right',
    );
  }

  async add(revocations: Revocation[]): Promise<void> {
    if (!revocations.length) return;
    const fields = revocations.flatMap((r) => [r.id, JSON.stringify(r)]);
    await this.client
      .multi()
      .hset(this.key, ...fields)
      .publish(this.channel, JSON.stringify(revocations))
      .exec();
  }

  async load(): Promise<Revocation[]> {
    const all = await this.client.hgetall(this.key);
    const now = Date.now();
    const live: Revocation[] = [];
    const expired: string[] = [];
    for (const [id, text] of Object.entries(all)) {
      const revocation = parse(text);
      if (revocation && revocation.expiresAt > now) live.push(revocation);
      else expired.push(id);
    }
    if (expired.length) await this.client.hdel(this.key, ...expired);
    return live;
  }

  async subscribe(listener: (revocations: Revocation[]) => void): Promise<() => void> {
    this.subscriber ??= duplicateClient(
      this.client,
      'revocations subscriber',
      'celeriac-revocations-sub',
    );
    const subscriber = this.subscriber;
    const onMessage = (channel: string, text: string): void => {
      if (channel !== this.channel) return;
      const list = parseList(text);
      if (list) listener(list);
      else this.logger.warn(`Ignored a malformed revocation message on ${this.channel}.`);
    };
    subscriber.on('message', onMessage);
    await subscriber.subscribe(this.channel);
    return () => subscriber.off('message', onMessage);
  }

  async close(): Promise<void> {
    this.subscriber?.disconnect();
    this.client.disconnect();
  }

  /** For tests: the URL this store reads. */
  get source(): string {
    return this.url;
  }
}

function parse(text: string): Revocation | undefined {
  try {
    const value = JSON.parse(text) as Partial<Revocation>;
    return typeof value.id === 'string' && typeof value.expiresAt === 'number'
      ? (value as Revocation)
      : undefined;
  } catch {
    return undefined;
  }
}

function parseList(text: string): Revocation[] | undefined {
  try {
    const list = JSON.parse(text) as unknown;
    return Array.isArray(list)
      ? list.map((t) => parse(JSON.stringify(t))).filter((r): r is Revocation => !!r)
      : undefined;
  } catch {
    return undefined;
  }
}
