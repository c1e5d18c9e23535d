import type { Redis } from 'ioredis';
import { defineLuaCommands, type LuaCommand } from './redis-lua.loader.js';
import type { RedisKeyspace } from './redis-keys.js';
import type { QueueStats } from '../../contracts/queue-stats.interface.js';

/** The dead-letter queue of a queue (worker/dead-letter.service.ts names it the same). */
function deadLetterQueueOf(queue: string): string {
  return `${queue}.dlq`;
}

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
  'queueStats-n.lua',
] as const;

/** One message taken by fetch-2.lua: the list it came from, its tag and its envelope. */
export interface FetchedEntry {
  /** Index into the list pairs passed to fetch. */
  pairIndex: number;
  /** Empty when the entry was unreadable and moved to the invalid list. */
  tag: string;
  envelope: string;
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
    const reply = (await this.run.fetchBuffer!(
      k.unacked,
      k.unackedIndex,
      nowSeconds,
      max,
      k.invalid,
      ...lists.flat(),
    )) as Buffer;
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

  /** Counts of `queues` (commands/queueStats-n.lua); dead letters are `<queue>.dlq`. */
  async queueStats(queues: string[]): Promise<QueueStats[]> {
    const k = this.keys;
    // Dead letters are published at priority 0: the DLQ's band-0 list only.
    const lists = queues.flatMap((q) => [...k.listKeys(q), k.listKey(deadLetterQueueOf(q), 0)]);
    const bands = k.listKeys(queues[0]!).length;
    const reply = (await this.run.queueStats!(
      3 + lists.length,
      k.unacked,
      k.delayed,
      k.parkedCounts,
      ...lists,
      bands,
      ...queues,
    )) as (number | string)[];
    return queues.map((queue, i) => {
      const [ready, unacked, delayed, dead, sentAt, id] = reply.slice(i * 6, i * 6 + 6);
      const at = Number(sentAt);
      return {
        queue,
        ready: Number(ready),
        unacked: Number(unacked),
        delayed: Number(delayed),
        deadLetters: Number(dead),
        consumers: null,
        oldest: at >= 0 ? { sentAt: at } : id ? { id: String(id) } : null,
      };
    });
  }

  private call(name: string, ...args: (string | number)[]): Promise<unknown> {
    return this.run[name]!(...args);
  }
}

/**
 * The entries of a fetch-2.lua reply: "<pair>\0<tag>\0<envelope>\0" per entry. The reply is
 * taken as a Buffer and each field decoded on its own: substrings of one reply string would
 * keep the whole batch's text alive (and copied by every scavenge) as long as any one of its
 * messages is running.
 */
export function splitFetchReply(reply: Buffer): FetchedEntry[] {
  const entries: FetchedEntry[] = [];
  let start = 0;
  while (start < reply.length) {
    const tagAt = reply.indexOf(0, start) + 1;
    const envelopeAt = reply.indexOf(0, tagAt) + 1;
    const end = reply.indexOf(0, envelopeAt);
    if (tagAt === 0 || envelopeAt === 0 || end < 0) {
      throw new Error(`Malformed fetch reply (an entry is not three NUL-terminated fields)`);
    }
    entries.push({
      pairIndex: Number(reply.toString('latin1', start, tagAt - 1)) - 1,
      tag: reply.toString('utf8', tagAt, envelopeAt - 1),
      envelope: reply.toString('utf8', envelopeAt, end),
    });
    start = end + 1;
  }
  return entries;
}
