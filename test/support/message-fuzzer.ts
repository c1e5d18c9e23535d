import { prng } from '../../libs/task-queue/src/__fixtures__/random-cron.fixture.js';
import { AMQP_ONLY, type Body, MUTATIONS, pick, REDIS_ONLY } from './message-mutations.js';

/**
 * A seeded mutation fuzzer of Celery protocol v2 task messages (the shape Python Celery 5.2
 * writes: docs/protocol.md). Each case starts from a valid `rob.add` message and applies one
 * mutation; every fifth case stays valid. The same seed gives the same cases.
 */
export interface FuzzCase {
  /** Position in the run; the marker `fz-<seed>-<seq>` travels in the message. */
  seq: number;
  marker: string;
  /** The mutation's name ("valid" when none). */
  mutation: string;
  /** The result a valid case must store. */
  expected?: number;
  headers: Record<string, unknown>;
  properties: Record<string, unknown>;
  contentType: unknown;
  contentEncoding: unknown;
  /** The body bytes as sent on AMQP (Redis: base64 of them unless `rawRedisBody`). */
  body: Buffer;
  /** Redis: the envelope's `body` field verbatim (skips the base64 encoding). */
  rawRedisBody?: unknown;
  /** Redis: the whole list entry verbatim (an envelope that is no envelope). */
  rawRedisEntry?: string;
  /** Redis: envelope fields replaced (undefined deletes). */
  redisEnvelope?: Record<string, unknown>;
}

export type Rng = () => number;

/** The fuzzer's reproducible random numbers: the fixtures' mulberry32. */
export const seededRng: (seed: number) => Rng = prng;

function uuidFrom(rng: Rng): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(rng() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
}

/** `count` cases for `broker`, reproducible from `seed`; every fifth one is valid. */
export function fuzzCases(
  seed: number,
  count: number,
  broker: 'redis' | 'amqp',
  queue: string,
): FuzzCase[] {
  // Each broker its own stream: the same ids on both would mix up their logs.
  const rng = seededRng(broker === 'redis' ? seed : seed ^ 0x9e3779b9);
  const skip = broker === 'redis' ? AMQP_ONLY : REDIS_ONLY;
  const names = Object.keys(MUTATIONS).filter((n) => !skip.includes(n));
  const ids: string[] = [];
  const cases: FuzzCase[] = [];
  for (let seq = 0; seq < count; seq++) {
    const id = uuidFrom(rng);
    const marker = `fz-${seed}-${broker}-${seq}.`; // the dot: no marker is a prefix of another
    const x = Math.floor(rng() * 1000);
    const y = Math.floor(rng() * 1000);
    const c: FuzzCase = {
      seq,
      marker,
      mutation: 'valid',
      headers: {
        lang: 'py',
        task: 'rob.add',
        id,
        shadow: null,
        eta: null,
        expires: null,
        group: null,
        group_index: null,
        retries: 0,
        timelimit: [null, null],
        root_id: id,
        parent_id: null,
        argsrepr: `(${x}, ${y})`,
        kwargsrepr: '{}',
        origin: 'gen4242@fuzz-host',
        ignore_result: false,
        'x-fuzz': marker,
      },
      properties: {
        correlation_id: id,
        reply_to: uuidFrom(rng),
        delivery_mode: 2,
        delivery_info: { exchange: '', routing_key: queue },
        priority: 0,
        body_encoding: 'base64',
        delivery_tag: uuidFrom(rng),
        'x-fuzz': marker,
      },
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      body: Buffer.alloc(0),
    };
    let body: Body | Buffer = [
      [x, y],
      {},
      { callbacks: null, errbacks: null, chain: null, chord: null },
    ];
    if (seq % 5 === 0) {
      c.expected = x + y;
      ids.push(id);
    } else {
      c.mutation = pick(rng, names);
      body = MUTATIONS[c.mutation]!(c, body, rng, ids);
    }
    c.body = Buffer.isBuffer(body) ? body : Buffer.from(stringifyBody(body));
    cases.push(c);
  }
  return cases;
}

/** JSON.stringify with BigInts written as integers (Python's int). */
function stringifyBody(body: unknown): string {
  return JSON.stringify(body, (_k, v: unknown) => (typeof v === 'bigint' ? `__big__${v}` : v))
    .replace(/"__big__(-?\d+)"/g, '$1')
    .replace(
      /"__deep__(\d+)"/g,
      (_m, n: string) => `${'{"a":'.repeat(Number(n))}1${'}'.repeat(Number(n))}`,
    );
}

/** The kombu Redis list entry of a case. */
export function redisEntry(c: FuzzCase): string {
  if (c.rawRedisEntry !== undefined) return c.rawRedisEntry;
  const envelope: Record<string, unknown> = {
    body: c.rawRedisBody ?? c.body.toString('base64'),
    'content-encoding': c.contentEncoding,
    'content-type': c.contentType,
    headers: c.headers,
    properties: c.properties,
  };
  for (const [key, value] of Object.entries(c.redisEnvelope ?? {})) {
    if (value === undefined) delete envelope[key];
    else envelope[key] = value;
  }
  // Keep the marker findable in a quarantined or dead-lettered entry whatever was replaced.
  envelope['x-fuzz'] = c.marker;
  return stringifyBody(envelope);
}
