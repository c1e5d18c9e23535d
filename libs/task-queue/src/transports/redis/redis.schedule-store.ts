import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { type Observable, Subject } from 'rxjs';
import type {
  BeatLease,
  PendingFire,
  ScheduleClaim,
  ScheduleDefinition,
  ScheduleSaveOptions,
  ScheduleState,
  ScheduleStore,
  StoredSchedule,
} from '../../contracts/schedule-store.interface.js';
import { readPendingFire, readStoredSchedule } from '../stored-schedule.js';
import { createRedisClient, duplicateClient, redactUrl } from './redis.connection.js';
import { ensureReady } from './redis-ready.js';
import { defineLuaCommands, type LuaCommand } from './redis-lua.loader.js';
import { scheduleDefinitionJson } from '../../protocol/schedule-json.js';

const DIR = new URL('./commands/', import.meta.url);
/** Milliseconds {@link RedisScheduleStore.connect} waits for Redis. */
const CONNECT_TIMEOUT_MS = 10_000;

const FILES = [
  'beatSave-3.lua',
  'beatRemove-3.lua',
  'beatLease-2.lua',
  'beatRelease-1.lua',
  'beatClaim-4.lua',
] as const;

/** Options of {@link RedisScheduleStore}. @publicApi */
export interface RedisScheduleStoreOptions {
  /** Prefix of every key and of the change channel (default `celeriac:beat:`). */
  keyPrefix?: string;
}

/**
 * Schedules in Redis. Hashes `<prefix>definitions`, `<prefix>states`, `<prefix>revisions` and
 * `<prefix>pending` (by name; pending by task id), the lease `<prefix>lease` ("owner|token",
 * with a TTL) and its fence counter `<prefix>fence`. Every state change is one Lua script in
 * `commands/beat*.lua`; edits are announced on the channel `<prefix>changes`.
 * @publicApi
 */
export class RedisScheduleStore implements ScheduleStore {
  private readonly logger = new Logger('Beat');
  private readonly client: Redis;
  private subscriber?: Redis;
  private readonly run: Record<string, LuaCommand>;
  private readonly keys: Record<
    'definitions' | 'states' | 'revisions' | 'pending' | 'lease' | 'fence' | 'channel',
    string
  >;
  private readonly changed = new Subject<string>();
  readonly changes: Observable<string> = this.changed.asObservable();

  constructor(
    private readonly url: string,
    options: RedisScheduleStoreOptions = {},
  ) {
    const prefix = options.keyPrefix ?? 'celeriac:beat:';
    // Named after the process, so `CLIENT LIST` shows which beat holds which connection.
    const base = createRedisClient(url, 'beat', this.logger);
    this.client = duplicateClient(base, 'beat', `celeriac-beat-${process.pid}`);
    this.run = defineLuaCommands(this.client, DIR, FILES);
    this.keys = {
      definitions: `${prefix}definitions`,
      states: `${prefix}states`,
      revisions: `${prefix}revisions`,
      pending: `${prefix}pending`,
      lease: `${prefix}lease`,
      fence: `${prefix}fence`,
      channel: `${prefix}changes`,
    };
  }

  /** Fails with BrokerConnectionError when Redis is not reachable within 10 s. */
  async connect(): Promise<void> {
    // Left waiting, the subscription below would queue until Redis came back (forever).
    await ensureReady(
      this.client,
      CONNECT_TIMEOUT_MS,
      `Could not connect to the beat's schedule store, Redis at ${redactUrl(this.url)},`,
      "and that the store's URL is right",
    );
    this.subscriber ??= duplicateClient(
      this.client,
      'beat subscriber',
      `celeriac-beat-sub-${process.pid}`,
    );
    this.subscriber.on('message', (channel: string, name: string) => {
      if (channel === this.keys.channel) this.changed.next(name);
    });
    await this.subscriber.subscribe(this.keys.channel);
    // ioredis subscribes again after a reconnect; what was published meanwhile is lost.
    this.subscriber.on('ready', () => this.changed.next(''));
  }

  async close(): Promise<void> {
    this.changed.complete();
    this.subscriber?.disconnect();
    this.client.disconnect();
  }

  async list(): Promise<StoredSchedule[]> {
    const { definitions, states, revisions } = this.keys;
    const [defs, stateMap, revs] = await Promise.all([
      this.client.hgetall(definitions),
      this.client.hgetall(states),
      this.client.hgetall(revisions),
    ]);
    const out: StoredSchedule[] = [];
    for (const [name, text] of Object.entries(defs)) {
      const stored = this.readable(name, text, stateMap[name], revs[name]);
      if (stored) out.push(stored);
    }
    return out;
  }

  async get(name: string): Promise<StoredSchedule | null> {
    const [[, def], [, state], [, rev]] = (await this.client
      .multi()
      .hget(this.keys.definitions, name)
      .hget(this.keys.states, name)
      .hget(this.keys.revisions, name)
      .exec()) as [unknown, string | null][];
    return def ? this.readable(name, def, state, rev) : null;
  }

  /**
   * The row as a schedule, or null with a warning when it is not one (a hand edit, another
   * tool): one such row must not stop the leader from loading every other schedule.
   */
  private readable(
    name: string,
    definition: string,
    state: string | null | undefined,
    rev: string | null | undefined,
  ): StoredSchedule | null {
    try {
      return readStoredSchedule(name, definition, state, rev);
    } catch (error) {
      this.logger.warn(
        `Beat skips schedule ${name}: its stored definition in ${this.keys.definitions} is not ` +
          `readable (${(error as Error).message}). Add it again (Schedules.add / ` +
          `celeriac schedule add) or remove it (celeriac schedule rm ${name}).`,
      );
      return null;
    }
  }

  async save(
    definition: ScheduleDefinition,
    state: ScheduleState,
    { ifRev, keepIfSame = false }: ScheduleSaveOptions = {},
  ): Promise<boolean> {
    const { definitions, states, revisions, channel } = this.keys;
    const rev = await this.run.beatSave!(
      definitions,
      states,
      revisions,
      definition.name,
      scheduleDefinitionJson(definition),
      stateJson(state),
      keepIfSame ? '1' : '0',
      channel,
      ifRev === undefined ? '' : String(ifRev),
    );
    return Number(rev) > 0;
  }

  async remove(name: string): Promise<boolean> {
    const { definitions, states, revisions, channel } = this.keys;
    const existed = await this.run.beatRemove!(definitions, states, revisions, name, channel);
    return Number(existed) === 1;
  }

  async acquireLease(owner: string, ttlMs: number): Promise<number | null> {
    const token = await this.run.beatLease!(this.keys.lease, this.keys.fence, owner, ttlMs);
    return token === null ? null : Number(token);
  }

  async releaseLease(lease: BeatLease): Promise<void> {
    await this.run.beatRelease!(this.keys.lease, `${lease.owner}|${lease.token}`);
  }

  async claim(lease: BeatLease, claims: ScheduleClaim[]): Promise<boolean[] | null> {
    const args: (string | number)[] = [`${lease.owner}|${lease.token}`];
    for (const claim of claims) {
      args.push(claim.name, String(claim.rev), stateJson(claim.state), claim.fires.length);
      for (const fire of claim.fires) args.push(fire.taskId, JSON.stringify(fire));
    }
    const { lease: leaseKey, states, revisions, pending } = this.keys;
    const reply = await this.run.beatClaim!(leaseKey, states, revisions, pending, ...args);
    if (!Array.isArray(reply)) return null;
    return reply.map((applied) => Number(applied) === 1);
  }

  async confirm(fires: PendingFire[]): Promise<void> {
    if (fires.length) await this.client.hdel(this.keys.pending, ...fires.map((f) => f.taskId));
  }

  async pending(): Promise<PendingFire[]> {
    const all = await this.client.hgetall(this.keys.pending);
    return Object.values(all).flatMap((text) => readPendingFire(text) ?? []);
  }
}

function stateJson(state: ScheduleState): string {
  const { rev: _rev, ...rest } = state;
  return JSON.stringify(rest);
}
