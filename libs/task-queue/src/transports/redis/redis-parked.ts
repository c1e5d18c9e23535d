import type { Redis } from 'ioredis';
import type { ParkedMessage } from '../../contracts/broker.interface.js';
import { decodeEnvelope } from './redis-envelope.js';

/** Entries read per ZRANGE call, and at most this many in all (the zset serves every queue). */
const PAGE = 500;
const MAX_SCANNED = 10_000;

/**
 * Read the parked entries (`[envelope, exchange, routing_key]`, scored by due ms) of the
 * delayed zset that go to one of `queues`, earliest first, without taking them. The zset is
 * shared by every queue of the keyspace: at most the 10,000 earliest entries are looked at.
 * Entries that cannot be read are skipped (promotion sets them aside when they are due).
 */
export async function readParked(
  client: Redis,
  key: string,
  queues: ReadonlySet<string>,
  limit: number,
): Promise<ParkedMessage[]> {
  const found: ParkedMessage[] = [];
  for (let start = 0; start < MAX_SCANNED && found.length < limit; start += PAGE) {
    const reply = await client.zrange(key, start, String(start + PAGE - 1), 'WITHSCORES');
    const page = pairsOf(reply as unknown[]);
    for (const [entry, score] of page) {
      if (found.length >= limit) break;
      const parked = parse(entry, score, queues);
      if (parked) found.push(parked);
    }
    if (page.length < PAGE) break;
  }
  return found;
}

/** [member, score] pairs of a WITHSCORES reply (flat in RESP2, pairs in RESP3). */
function pairsOf(reply: unknown[]): Array<[string, number]> {
  if (reply.length && Array.isArray(reply[0])) {
    return (reply as Array<[unknown, unknown]>).map(([m, s]) => [String(m), Number(s)]);
  }
  const pairs: Array<[string, number]> = [];
  for (let i = 0; i + 1 < reply.length; i += 2)
    pairs.push([String(reply[i]), Number(reply[i + 1])]);
  return pairs;
}

function parse(entry: string, dueMs: number, queues: ReadonlySet<string>): ParkedMessage | null {
  let triple: unknown;
  try {
    triple = JSON.parse(entry);
  } catch {
    return null;
  }
  if (!Array.isArray(triple) || typeof triple[2] !== 'string') return null;
  const routingKey = triple[2];
  if (!queues.has(routingKey)) return null;
  try {
    const decoded = decodeEnvelope(JSON.stringify(triple[0]), routingKey);
    return {
      message: decoded.message,
      queue: routingKey,
      due: new Date(dueMs),
      deliveryInfo: {
        exchange: typeof triple[1] === 'string' ? triple[1] : decoded.exchange,
        routingKey,
        priority: decoded.priority,
      },
    };
  } catch {
    return null;
  }
}
