import { prng } from '../../libs/task-queue/src/__fixtures__/random-cron.fixture.js';

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

const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;

function uuidFrom(rng: Rng): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(rng() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
}

/** Deeply nested JSON text: `[[[...1...]]]`. */
export function nestedJson(depth: number): string {
  return `${'['.repeat(depth)}1${']'.repeat(depth)}`;
}

/** A header placeholder for a value nested `<n>` levels deep (see deepHeader). */
export const DEEP = '__deep__';

/** `{"a": {"a": ... 1}}`, `depth` levels, built without recursion. */
export function deepObject(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

/** Values of the wrong type, some hostile. */
function garbageValue(rng: Rng): unknown {
  return pick(rng, [
    () => 12345,
    () => -1,
    () => 1e308,
    () => 'garbage',
    () => '',
    () => true,
    () => [],
    () => [1, 'two', null],
    () => ({}),
    () => ({ nested: { deeper: [1, { x: 'y' }] } }),
    () => 'x'.repeat(100_000),
    () => JSON.parse('{"__proto__": {"polluted": "yes"}}') as unknown,
    () => ({ constructor: { prototype: { polluted: 'yes' } } }),
    () => 12345678901234567890n,
  ])();
}

const HEADERS = [
  'id',
  'task',
  'eta',
  'expires',
  'retries',
  'timelimit',
  'argsrepr',
  'kwargsrepr',
  'root_id',
  'parent_id',
  'group',
  'group_index',
  'origin',
  'ignore_result',
  'shadow',
  'lang',
] as const;

type Body = [unknown, unknown, unknown];
type Mutator = (c: FuzzCase, body: Body, rng: Rng, earlierIds: string[]) => Body | Buffer;

/** The mutations: each names one thing wrong with a message. */
export const MUTATIONS: Record<string, Mutator> = {
  truncatedBody: (c, body, rng) => {
    const text = Buffer.from(JSON.stringify(body));
    return text.subarray(0, Math.floor(rng() * (text.length - 1)));
  },
  garbageBody: (_c, _b, rng) => Buffer.from(randomBytesFrom(rng, 1 + Math.floor(rng() * 64))),
  emptyBody: () => Buffer.alloc(0),
  nonUtf8Body: (_c, body) =>
    Buffer.concat([Buffer.from(JSON.stringify(body)), Buffer.from([0xff, 0xfe])]),
  wrongContentType: (c, body, rng) => {
    c.contentType = pick(rng, [
      'application/x-python-serialize',
      'application/x-yaml',
      'text/plain',
      '',
      'application/json; charset=utf-16',
    ]);
    return body;
  },
  wrongContentEncoding: (c, body, rng) => {
    c.contentEncoding = pick(rng, ['binary', 'latin-1', 'utf-16', '']);
    return body;
  },
  unknownCompression: (c, body, rng) => {
    c.headers.compression = pick(rng, ['application/x-gzip', 'application/x-bogus', 42]);
    return body;
  },
  base64BodyNotDeclared: (_c, body) =>
    Buffer.from(Buffer.from(JSON.stringify(body)).toString('base64')),
  missingHeader: (c, body, rng) => {
    delete c.headers[pick(rng, HEADERS)];
    return body;
  },
  wrongTypeHeader: (c, body, rng) => {
    c.headers[pick(rng, HEADERS)] = garbageValue(rng);
    return body;
  },
  hostileTimelimit: (c, body, rng) => {
    c.headers.timelimit = pick(rng, [
      [-1, null],
      [null, -5],
      [0, 0],
      [2_592_000, null],
      [null, 2_592_000],
      [1e12, 1e12],
      ['1', '2'],
      [[], {}],
    ]);
    return body;
  },
  argsNotList: (_c, body, rng) => [garbageValue(rng), body[1], body[2]],
  kwargsNotDict: (_c, body, rng) => [body[0], pick(rng, [[1], 'x', 5, null, true]), body[2]],
  embedNotDict: (_c, body, rng) => [body[0], body[1], pick(rng, [[1], 'x', 5, true])],
  shortBody: (_c, body, rng) => pick(rng, [[], [body[0]], 'text', 5, null, {}]) as Body,
  garbageCanvas: (_c, body, rng) => {
    const field = pick(rng, ['callbacks', 'errbacks', 'chain', 'chord']);
    const value = pick(rng, [
      'abc',
      5,
      [1, 2],
      [{}],
      [{ task: 5 }],
      { task: 'x' },
      [{ task: 'no.such.task', args: 'notalist', kwargs: [], options: 'x' }],
      [{ task: 'rob.add', args: [1], subtask_type: 'chord' }],
      [null],
      JSON.parse('[{"__proto__": {"polluted": "yes"}, "task": "rob.add"}]') as unknown,
    ]);
    return [body[0], body[1], { ...(body[2] as object), [field]: value }];
  },
  hugeString: (_c, body) => [['y'.repeat(300_000), 1], body[1], body[2]],
  deepNesting: (_c, body, rng) => {
    const depth = pick(rng, [1_000, 5_000, 50_000]);
    return Buffer.from(`[[${nestedJson(depth)}, 1], {}, ${JSON.stringify(body[2])}]`);
  },
  deepHeader: (c, body, rng) => {
    // A header nested past any stack (the reason kept for the dead letter must still fit).
    // A placeholder: written as nested JSON text (JSON.stringify itself overflows at depth).
    c.headers[pick(rng, ['argsrepr', 'x-extra', 'group'])] = `${DEEP}${pick(rng, [2_000, 20_000])}`;
    return pick(rng, [body, Buffer.from('{not json')]);
  },
  protoKeys: (c, body, rng) => {
    const hostile = JSON.parse(
      '{"__proto__": {"polluted": "yes"}, "constructor": {"prototype": {"polluted": "yes"}}}',
    ) as Record<string, unknown>;
    const where = pick(rng, ['kwargs', 'embed', 'headers', 'properties']);
    // An own "__proto__" key, as JSON.parse makes it (an assignment would set the prototype).
    if (where === 'headers') ownKey(c.headers, '__proto__', { polluted: 'yes' });
    if (where === 'properties') ownKey(c.properties, '__proto__', hostile);
    if (where === 'kwargs') return [body[0], hostile, body[2]];
    if (where === 'embed') return [body[0], body[1], { ...(body[2] as object), ...hostile }];
    return body;
  },
  unknownTask: (c, body, rng) => {
    c.headers.task = pick(rng, [
      'no.such.task',
      '__proto__',
      'constructor',
      'toString',
      'hasOwnProperty',
      'x'.repeat(5000),
      'rob.add\u0000',
    ]);
    return body;
  },
  duplicatedId: (c, body, rng, earlier) => {
    if (earlier.length) c.headers.id = pick(rng, earlier);
    return body;
  },
  badEta: (c, body, rng) => {
    c.headers[pick(rng, ['eta', 'expires'])] = pick(rng, [
      'tomorrow',
      12345,
      '2026-13-45T99:99:99',
      '0000-00-00',
      { when: 'now' },
    ]);
    return body;
  },
  redisEnvelope: (c, body, rng) => {
    const choice = pick(rng, [
      { properties: undefined },
      { properties: 'nope' },
      { headers: 'not-an-object' },
      { headers: [1, 2] },
      { 'content-type': 5 },
      { 'content-encoding': { x: 1 } },
    ]);
    c.redisEnvelope = choice;
    return body;
  },
  redisProperties: (c, body, rng) => {
    const choice = pick(rng, [
      () => delete c.properties.delivery_tag,
      () => (c.properties.delivery_tag = 42),
      () => (c.properties.delivery_tag = { x: 1 }),
      () => delete c.properties.delivery_info,
      () => (c.properties.delivery_info = 'garbage'),
      () => (c.properties.delivery_info = { exchange: 5, routing_key: ['x'] }),
      () => (c.properties.priority = pick(rng, [-5, 255, 1e9, 3.7, 'high', null])),
      () => (c.properties.body_encoding = pick(rng, ['rot13', 5, null])),
    ]);
    choice();
    return body;
  },
  redisBodyNotBase64: (c, body) => {
    c.rawRedisBody = JSON.stringify(body); // body_encoding says base64; it is plain text
    return body;
  },
  redisBodyNotString: (c, body) => {
    c.rawRedisBody = body; // a JSON array where kombu writes a string
    delete c.properties.body_encoding;
    return body;
  },
  redisEntryNotEnvelope: (c, body, rng) => {
    c.rawRedisEntry = pick(rng, [
      `not json ${c.marker}`,
      `["${c.marker}", 1, 2]`,
      `{"marker": "${c.marker}"`,
      `"${c.marker}"`,
    ]);
    return body;
  },
  amqpProperties: (c, body, rng) => {
    const choice = pick(rng, [
      () => (c.properties.priority = pick(rng, [255, 0, 200])),
      () => (c.properties.correlation_id = 'c'.repeat(255)),
      () => delete c.properties.correlation_id,
      () => (c.properties.reply_to = pick(rng, ['', 'no-such-queue', 'r'.repeat(255)])),
      () => (c.properties.expiration = '86400000'),
      () => (c.properties.type = 'garbage'),
    ]);
    choice();
    return body;
  },
};

function ownKey(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

function randomBytesFrom(rng: Rng, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => Math.floor(rng() * 256));
}

/** Mutations meaningful on each broker (the envelope ones are Redis only). */
const REDIS_ONLY = [
  'redisEnvelope',
  'redisProperties',
  'redisBodyNotBase64',
  'redisBodyNotString',
  'redisEntryNotEnvelope',
];
const AMQP_ONLY = ['amqpProperties'];

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
