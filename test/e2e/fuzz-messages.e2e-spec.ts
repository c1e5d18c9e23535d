import { type INestApplicationContext, Logger, type LoggerService } from '@nestjs/common';
import { TaskClient } from 'celeriac';
import amqp from 'amqplib';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../libs/task-queue/src/__fixtures__/create-app.js';
import { listQueues, usePrivateVhost } from '../support/amqp-vhost.js';
import { type FuzzCase, fuzzCases, redisEntry } from '../support/message-fuzzer.js';
import { DEEP, deepObject } from '../support/message-mutations.js';
import { deleteResults, REDIS_URL } from '../support/redis-test-server.js';
import { RobustnessModule } from '../support/robustness-tasks.js';

/**
 * A seeded mutation fuzzer on real brokers: a few hundred Celery protocol v2 messages, most of
 * them broken one way (body, content type, headers, canvas fields, envelope, AMQP properties,
 * hostile keys, deep nesting, unknown tasks, duplicated ids), every fifth one valid. The worker
 * must keep running, settle every message (a result, or the dead-letter queue, or Redis's
 * `invalid` list for an entry that is no envelope), log each rejection on one line, leave
 * Object.prototype alone and not grow without bound. FUZZ_SEED=<n> replays a run.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261206);
const COUNT = Number(process.env.FUZZ_COUNT ?? 250);
const READY = new Set(['SUCCESS', 'FAILURE', 'REVOKED']);

/** Every warn / error line the library logs while the spec runs. */
const lines: string[] = [];
const capture =
  (level: string) =>
  (message: unknown, ...rest: unknown[]) => {
    const text = typeof message === 'string' ? message : JSON.stringify(message);
    if (level !== 'log' || process.env.FUZZ_DUMP) lines.push(`${level} ${text}`);
    void rest;
  };
const logger: LoggerService = {
  log: capture('log'),
  warn: capture('warn'),
  error: capture('error'),
  debug: () => undefined,
  verbose: () => undefined,
};

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapMb = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};
const protoKeys = (): string[] => Object.getOwnPropertyNames(Object.prototype).sort();

let redis: Redis;
const resultIds = new Set<string>();

beforeAll(() => {
  console.log(`fuzz-messages: seed ${SEED}, ${COUNT} messages per broker (FUZZ_SEED replays)`);
  redis = new Redis(REDIS_URL);
});

afterAll(async () => {
  Logger.overrideLogger(false);
  if (process.env.FUZZ_DUMP) writeFileSync(process.env.FUZZ_DUMP, lines.join('\n'));
  await deleteResults(REDIS_URL, resultIds);
  redis.disconnect();
});

/** Stored states of the cases' ids (absent: no result). */
async function states(
  cases: FuzzCase[],
): Promise<Map<string, { status: string; result: unknown }>> {
  const ids = [...new Set(cases.map((c) => c.headers.id).filter(isId))];
  ids.forEach((id) => resultIds.add(id));
  const raw = ids.length ? await redis.mget(ids.map((id) => `celery-task-meta-${id}`)) : [];
  const out = new Map<string, { status: string; result: unknown }>();
  raw.forEach((text, i) => {
    if (text) out.set(ids[i]!, JSON.parse(text) as { status: string; result: unknown });
  });
  return out;
}

function isId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

/** Cases neither answered by a result nor found in `parked` (dead letters, invalid entries). */
async function unsettled(cases: FuzzCase[], parked: () => Promise<string>): Promise<FuzzCase[]> {
  const [meta, text] = await Promise.all([states(cases), parked()]);
  return cases.filter((c) => {
    if (text.includes(c.marker)) return false;
    // ignore_result: true (a wrong-typed header may say so) stores nothing to look for; the
    // empty queue and unacked checks cover it.
    if (c.headers.ignore_result === true) return false;
    const id = c.headers.id;
    return !(isId(id) && READY.has(meta.get(id)?.status ?? ''));
  });
}

/** What a run must leave: the valid cases' sums, prototype untouched, bounded heap. */
async function checkOutcome(
  cases: FuzzCase[],
  app: INestApplicationContext,
  before: { proto: string[]; heap: number },
): Promise<void> {
  const meta = await states(cases);
  const reused = new Set(
    cases.filter((c) => c.mutation === 'duplicatedId').map((c) => c.headers.id),
  );
  for (const c of cases.filter((k) => k.expected !== undefined && !reused.has(k.headers.id))) {
    expect(meta.get(c.headers.id as string), `valid case ${c.seq}`).toMatchObject({
      status: 'SUCCESS',
      result: c.expected,
    });
  }
  // Still serving after all of it.
  const last = await app.get(TaskClient).send('rob.add', [40, 2]);
  resultIds.add(last.id);
  await expect(last.get({ timeout: 15_000 })).resolves.toBe(42);
  expect(protoKeys()).toEqual(before.proto);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  const growth = heapMb() - before.heap;
  console.log(`fuzz-messages: heap growth ${growth.toFixed(1)} MB`);
  expect(growth).toBeLessThan(100);
}

/** Each rejected case is named on exactly one warn / error line (by id, tag or marker). */
function checkLogLines(rejected: FuzzCase[]): void {
  for (const c of rejected) {
    // A Redis entry that is no envelope is quoted whole.
    const names = [
      c.headers.id,
      c.properties.correlation_id,
      c.properties.delivery_tag,
      c.marker,
      c.rawRedisEntry,
    ].filter((n): n is string => typeof n === 'string' && n.length >= 8);
    const named = lines.filter((l) => !l.startsWith('log ') && names.some((n) => l.includes(n)));
    expect(named.length, `case ${c.seq} (${c.mutation}) lines:\n${named.join('\n')}`).toBe(1);
  }
  // No line quotes a hostile value whole.
  expect(lines.filter((l) => l.length > 2_000).map((l) => l.slice(0, 300))).toEqual([]);
}

function summary(cases: FuzzCase[]): string {
  const counts: Record<string, number> = {};
  for (const c of cases) counts[c.mutation] = (counts[c.mutation] ?? 0) + 1;
  return JSON.stringify(counts);
}

/** The worker under fuzz: the robustness tasks, results in Redis, this file's logger. */
async function startFuzzApp(broker: string, queue: string): Promise<INestApplicationContext> {
  const app = await createApp(
    {
      broker,
      resultBackend: REDIS_URL,
      defaultQueue: queue,
      resultExpires: 600,
      worker: { concurrency: 4 },
    },
    [RobustnessModule],
  );
  // After the testing module's compile(), which installs its own logger.
  Logger.overrideLogger(logger);
  return app;
}

describe('fuzzed messages on Redis', () => {
  const prefix = `fz-${randomUUID()}:`;
  const queue = 'fuzz';
  let app: INestApplicationContext;

  beforeAll(async () => {
    app = await startFuzzApp(`${REDIS_URL}?global_keyprefix=${prefix}`, queue);
  });

  afterAll(async () => {
    await app?.close();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
  });

  it('settles every message, keeps serving, logs one line per rejection', async () => {
    const cases = fuzzCases(SEED, COUNT, 'redis', queue);
    console.log(`fuzz-messages redis: ${summary(cases)}`);
    const before = { proto: protoKeys(), heap: heapMb() };
    lines.length = 0;
    for (const c of cases) await redis.lpush(`${prefix}${queue}`, redisEntry(c));
    const parked = async (): Promise<string> => {
      const dead = await redis.lrange(`${prefix}${queue}.dlq`, 0, -1);
      const invalid = await redis.lrange(`${prefix}celeriac:invalid`, 0, -1);
      return [...dead, ...invalid].join('\n');
    };
    await expect
      .poll(async () => (await unsettled(cases, parked)).map((c) => `${c.seq}:${c.mutation}`), {
        timeout: 45_000,
        interval: 500,
      })
      .toEqual([]);
    // Nothing waiting, nothing unacked, nothing parked.
    for (const key of ['', '\x06\x163', '\x06\x166', '\x06\x169']) {
      expect(await redis.llen(`${prefix}${queue}${key}`)).toBe(0);
    }
    await expect.poll(() => redis.hlen(`${prefix}unacked`), { timeout: 10_000 }).toBe(0);
    expect(await redis.zcard(`${prefix}celeriac:delayed`)).toBe(0);
    await checkOutcome(cases, app, before);
    const text = await parked();
    checkLogLines(cases.filter((c) => text.includes(c.marker)));
  });
});

describe('fuzzed messages on RabbitMQ', () => {
  const vhost = usePrivateVhost('celeriac-fuzz');
  const queue = 'fuzz';
  let app: INestApplicationContext;
  let connection: amqp.ChannelModel;

  beforeAll(async () => {
    app = await startFuzzApp(vhost.url, queue);
    connection = await amqp.connect(vhost.url);
  });

  afterAll(async () => {
    await app?.close();
    await connection?.close();
  });

  it('settles every message, keeps serving, logs one line per rejection', async () => {
    const cases = fuzzCases(SEED, COUNT, 'amqp', queue);
    console.log(`fuzz-messages amqp: ${summary(cases)}`);
    const before = { proto: protoKeys(), heap: heapMb() };
    lines.length = 0;
    const channel = await connection.createConfirmChannel();
    for (const c of cases) {
      const options = amqpOptions(c);
      c.headers = options.headers as Record<string, unknown>; // as the worker receives them
      channel.publish('', queue, c.body, options);
    }
    await channel.waitForConfirms();
    // Dead letters read back (unacked) and given back each poll.
    const parked = async (): Promise<string> => {
      const reader = await connection.createChannel();
      const texts: string[] = [];
      try {
        for (;;) {
          const message = await reader.get(`${queue}.dlq`, { noAck: false });
          if (!message) break;
          texts.push(JSON.stringify(message.properties.headers));
        }
      } catch {
        // no dead-letter queue yet
      } finally {
        await reader.close().catch(() => undefined);
      }
      return texts.join('\n');
    };
    await expect
      .poll(async () => (await unsettled(cases, parked)).map((c) => `${c.seq}:${c.mutation}`), {
        timeout: 45_000,
        interval: 1_000,
      })
      .toEqual([]);
    const stats = (await listQueues(vhost.name)).find((q) => q.name === queue);
    expect(stats).toMatchObject({ messages: 0, unacked: 0 });
    await checkOutcome(cases, app, before);
    const text = await parked();
    checkLogLines(cases.filter((c) => text.includes(c.marker)));
  });
});

/** A case as amqplib publishes it: AMQP tables carry no BigInt, strings up to a frame. */
function amqpOptions(c: FuzzCase): amqp.Options.Publish {
  const headers = JSON.parse(
    JSON.stringify(c.headers, (_k, v: unknown) =>
      typeof v === 'bigint'
        ? v.toString()
        : typeof v === 'string' && v.length > 10_000
          ? v.slice(0, 10_000)
          : v,
    ),
  ) as Record<string, unknown>;
  // AMQP tables nest too (amqplib encodes them recursively: 2,000 levels at most here).
  for (const [key, value] of Object.entries(headers)) {
    if (typeof value === 'string' && value.startsWith(DEEP)) headers[key] = deepObject(2_000);
  }
  const p = c.properties;
  const options: amqp.Options.Publish = {
    headers,
    contentType: typeof c.contentType === 'string' ? c.contentType : undefined,
    contentEncoding: typeof c.contentEncoding === 'string' ? c.contentEncoding : undefined,
    deliveryMode: 2,
    priority: typeof p.priority === 'number' ? p.priority : undefined,
    correlationId: typeof p.correlation_id === 'string' ? p.correlation_id : undefined,
    replyTo: typeof p.reply_to === 'string' ? p.reply_to : undefined,
    messageId: c.marker,
  };
  if (typeof p.expiration === 'string') options.expiration = p.expiration;
  if (typeof p.type === 'string') options.type = p.type;
  return options;
}
