import type { Redis } from 'ioredis';
import { defineLuaCommands, type LuaCommand } from './redis-lua.loader.js';
import type { RedisKeyspace } from './redis-keys.js';
import type { QueueStats } from '../../contracts/queue-stats.interface.js';

const DIR = new URL('./commands/', import.meta.url);
const FILES = [
  'park-3.lua',
  'fetch-2.lua',
  'ack-2.lua',
  'quarantine-3.lua',
  'requeue-2.lua',
  'restoreVisible-3.lua',
  'touch-1.lua',
  'defer-4.lua',
  'promote-2.lua',
  'purge-0.lua',
  'queueStats-3.lua',
] as const;

/** One message taken by fetch-2.lua: the list it came from, its tag and its envelope. */
export interface FetchedEntry {
  /** Index into the list pairs passed to fetch. */
  pairIndex: number;
  /** Empty when the entry was unreadable and moved to the invalid list. */
  tag: string;
  /** The envelope; when `notAList`, the Redis type the list key holds instead. */
  envelope: string;
  /** The list key holds another type: it was skipped (nothing was taken from it). */
  notAList: boolean;
}

/** Typed calls of the broker's Lua scripts (transports/redis/commands). One per state change. */
export class RedisBrokerScripts {
  private readonly run: Record<string, LuaCommand>;

  constructor(
    client: Redis,
    private readonly keys: RedisKeyspace,
  ) {
    this.run = defineLuaCommands(client, DIR, FILES);
  }

  park(bindingKey: string, member: string, dueMs: number, entry: string): Promise<unknown> {
    const k = this.keys;
    return this.call('park', bindingKey, k.delayed, k.parkedCounts, member, dueMs, entry);
  }

  /** `lists` are [listKey, queue] pairs in priority order. */
  async fetch(lists: [string, string][], max: number, nowSeconds: number): Promise<FetchedEntry[]> {
    const k = this.keys;
    const reply = (await this.run.fetch!(
      k.unacked,
      k.unackedIndex,
      nowSeconds,
      max,
      k.invalid,
      ...lists.flat(),
    )) as string[];
    return splitFetchReply(reply);
  }

  async ack(tags: string[]): Promise<number> {
    if (tags.length === 0) return 0;
    return Number(await this.call('ack', this.keys.unacked, this.keys.unackedIndex, ...tags));
  }

  /** Move unreadable deliveries to the invalid list; returns how many were still unacked. */
  async quarantine(tags: string[]): Promise<number> {
    const k = this.keys;
    return Number(await this.call('quarantine', k.unacked, k.unackedIndex, k.invalid, ...tags));
  }

  /** `left`: LPUSH (reject with requeue); otherwise RPUSH (give back on close). */
  async requeue(tags: string[], left: boolean): Promise<number> {
    if (tags.length === 0) return 0;
    const k = this.keys;
    return Number(
      await this.call(
        'requeue',
        k.unacked,
        k.unackedIndex,
        ...k.routingArgs(),
        left ? '1' : '0',
        ...tags,
      ),
    );
  }

  /** Returns the number restored, or -1 when another process holds unacked_mutex. */
  async restoreVisible(
    token: string,
    mutexMs: number,
    ceiling: number,
    limit: number,
  ): Promise<number> {
    const k = this.keys;
    return Number(
      await this.call(
        'restoreVisible',
        k.unacked,
        k.unackedIndex,
        k.unackedMutex,
        ...k.routingArgs(),
        token,
        mutexMs,
        ceiling,
        limit,
      ),
    );
  }

  async touch(tags: string[], nowSeconds: number): Promise<number> {
    if (tags.length === 0) return 0;
    return Number(await this.call('touch', this.keys.unackedIndex, nowSeconds, ...tags));
  }

  async defer(tag: string, dueMs: number): Promise<boolean> {
    const k = this.keys;
    const keys = [k.unacked, k.unackedIndex, k.delayed, k.parkedCounts];
    return Number(await this.call('defer', ...keys, tag, dueMs)) === 1;
  }

  /** Returns how many moved and the due time (ms) of the next parked entry, or null. */
  async promote(nowMs: number, limit: number): Promise<{ moved: number; nextDue: number | null }> {
    const k = this.keys;
    const [moved, next] = (await this.call(
      'promote',
      k.delayed,
      k.parkedCounts,
      ...k.routingArgs(),
      nowMs,
      limit,
    )) as [number, string | number];
    const nextDue = Number(next);
    return { moved: Number(moved), nextDue: nextDue < 0 ? null : nextDue };
  }

  async purge(listKeys: string[]): Promise<number> {
    return Number(await this.call('purge', ...listKeys));
  }

  /**
   * Counts of `queues` (commands/queueStats-3.lua); dead letters are `<queue>.dlq`. The script
   * names each queue's band and dead-letter lists from the routing arguments, so the request
   * holds each queue name once.
   */
  async queueStats(queues: string[]): Promise<QueueStats[]> {
    const k = this.keys;
    const reply = (await this.call(
      'queueStats',
      k.unacked,
      k.delayed,
      k.parkedCounts,
      ...k.routingArgs(),
      ...queues,
      Date.now(),
    )) as string[];
    return queues.map((queue, i) => queueStatsOf(queue, reply[i]!));
  }

  private call(name: string, ...args: (string | number)[]): Promise<unknown> {
    return this.run[name]!(...args);
  }
}

/**
 * The entries of a fetch-2.lua reply: `["<pair>\0<tag>\0" per entry, envelope, envelope, ...]`.
 * Each envelope is its own reply string: a running message keeps only its own text alive, not
 * the whole batch's.
 */
export function splitFetchReply(reply: readonly string[]): FetchedEntry[] {
  const entries: FetchedEntry[] = [];
  if (reply.length === 0) return entries;
  const head = reply[0]!;
  let start = 0;
  for (let i = 1; i < reply.length; i++) {
    const tagAt = head.indexOf('\0', start) + 1;
    const end = tagAt === 0 ? -1 : head.indexOf('\0', tagAt);
    if (end < 0) {
      throw new Error(`Malformed fetch reply (entry ${i} has no pair index and tag)`);
    }
    const pair = Number(head.slice(start, tagAt - 1));
    entries.push({
      pairIndex: Math.abs(pair) - 1,
      tag: head.slice(tagAt, end),
      envelope: reply[i]!,
      notAList: pair < 0,
    });
    start = end + 1;
  }
  if (start !== head.length) {
    throw new Error(`Malformed fetch reply (more pair indexes and tags than envelopes)`);
  }
  return entries;
}

/** One queue's line of a queueStats-3.lua reply: `ready,unacked,delayed,dead,sentAt,id`. */
function queueStatsOf(queue: string, line: string): QueueStats {
  const fields: number[] = [];
  let start = 0;
  for (let f = 0; f < 5; f++) {
    const end = line.indexOf(',', start);
    if (end < 0) throw new Error(`Malformed queueStats reply for ${queue}: ${line}`);
    fields.push(Number(line.slice(start, end)));
    start = end + 1;
  }
  const [ready, unacked, delayed, deadLetters, sentAt] = fields as [
    number,
    number,
    number,
    number,
    number,
  ];
  const id = line.slice(start);
  return {
    queue,
    ready,
    unacked,
    delayed,
    deadLetters,
    consumers: null,
    oldest: sentAt >= 0 ? { sentAt } : id ? { id } : null,
  };
}
