import type { FuzzCase, Rng } from './message-fuzzer.js';

// The fuzzer's mutations of a valid Celery protocol v2 message (see message-fuzzer.ts).

/** A random item of `items`. */
export const pick = <T>(rng: Rng, items: readonly T[]): T =>
  items[Math.floor(rng() * items.length)]!;

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

/** A protocol v2 body: args, kwargs, embed. */
export type Body = [unknown, unknown, unknown];
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
export const REDIS_ONLY = [
  'redisEnvelope',
  'redisProperties',
  'redisBodyNotBase64',
  'redisBodyNotString',
  'redisEntryNotEnvelope',
];
export const AMQP_ONLY = ['amqpProperties'];
