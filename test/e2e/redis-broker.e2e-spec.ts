import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { Logger } from '@nestjs/common';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { RedisBroker, type RedisBrokerOptions } from 'celeriac/redis';
import type { Broker, Delivery } from 'celeriac';
import { createTaskMessage } from 'celeriac/protocol';
import { describeBrokerConformance } from 'celeriac/conformance';
import { deleteKeys, pythonEnvelope, REDIS_URL } from '../support/redis-test-server.js';

// Every kombu key (unacked and unacked_index included) lives under this file's own
// global_keyprefix, so parallel suites and Python workers on the shared server are untouched.
const prefix = `test-${randomUUID()}:`;
const SEP = '\x06\x16';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const base: RedisBrokerOptions = {
  globalKeyprefix: prefix,
  visibilityTimeout: 2,
  delayedPollInterval: 100,
  restoreInterval: 300,
  leaseRenewalInterval: 300,
  publishTimeout: 2000,
};

// The shared suite expects every priority to be its own level; kombu's default bands
// ([0, 3, 6, 9]) serve 3 and 5 in FIFO order, so run it with one band per priority
// (kombu's documented `priority_steps=list(range(10))`). Default bands are tested below.
describeBrokerConformance('redis', {
  create: () =>
    new RedisBroker(REDIS_URL, { ...base, prioritySteps: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] }),
});

describe('RedisBroker: kombu compatibility', () => {
  let redis: Redis;
  const brokers: Broker[] = [];
  const open = async (options: RedisBrokerOptions = {}): Promise<RedisBroker> => {
    const broker = new RedisBroker(REDIS_URL, { ...base, ...options });
    await broker.connect();
    brokers.push(broker);
    return broker;
  };
  const key = (name: string): string => `${prefix}${name}`;
  const collect = async (broker: Broker, queue: string, prefetch = 10) => {
    const got: Delivery[] = [];
    await broker.consume([queue], (d) => got.push(d), { prefetch });
    return got;
  };
  const msg = (n: number, priority = 0) =>
    createTaskMessage({ name: 'redis.task', args: [n], priority });
  const argOf = (d: Delivery): unknown => (JSON.parse(d.message.body) as [unknown[]])[0][0];

  beforeAll(() => {
    redis = new Redis(REDIS_URL);
  });
  afterEach(async () => {
    for (const broker of brokers.splice(0)) await broker.close();
  });
  afterAll(async () => {
    redis.disconnect();
    await deleteKeys(REDIS_URL, prefix);
  });

  it('publishes the kombu envelope byte-compatible with docs/protocol.md#redis-envelope and declares the binding', async () => {
    const broker = await open();
    const q = `q-${randomUUID()}`;
    const sent = msg(1);
    const before = Date.now();
    await broker.publish(sent, { queue: q });
    const [raw] = await redis.lrange(key(q), 0, -1);
    const envelope = JSON.parse(raw!) as Record<string, unknown>;
    expect(Object.keys(envelope)).toEqual([
      'body',
      'content-encoding',
      'content-type',
      'headers',
      'properties',
    ]);
    expect(Buffer.from(envelope.body as string, 'base64').toString('utf8')).toBe(sent.body);
    expect(envelope['content-type']).toBe('application/json');
    expect(envelope['content-encoding']).toBe('utf-8');
    // The message's headers, then the send time the broker stamps (metrics: queue age).
    const { 'x-celeriac-sent-at': sentAt, ...headers } = envelope.headers as Record<
      string,
      unknown
    >;
    expect(headers).toEqual(sent.headers);
    expect(Object.keys(envelope.headers as object).at(-1)).toBe('x-celeriac-sent-at');
    expect(sentAt).toBeGreaterThanOrEqual(before);
    expect(sentAt).toBeLessThanOrEqual(Date.now());
    const props = envelope.properties as Record<string, unknown>;
    expect(props).toMatchObject({
      correlation_id: sent.headers.id,
      reply_to: '',
      delivery_mode: 2,
      delivery_info: { exchange: '', routing_key: q },
      priority: 0,
      body_encoding: 'base64',
    });
    expect(props.delivery_tag).toMatch(UUID);
    expect(await redis.smembers(key(`_kombu.binding.${q}`))).toEqual([`${q}${SEP}${SEP}${q}`]);
  });

  it('a queue key holding another type is skipped with one warning; the other queues are served', async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn');
    const log = vi.spyOn(Logger.prototype, 'log');
    try {
      const broker = await open({ wakeTimeout: 1 });
      const [clash, good] = [`clash-${randomUUID()}`, `good-${randomUUID()}`];
      await redis.set(key(clash), 'a cache entry of another program');
      const got: Delivery[] = [];
      await broker.consume([clash, good], (d) => got.push(d), { prefetch: 10 });
      await broker.publish(msg(1), { queue: good });
      await expect.poll(() => got.map(argOf), { timeout: 10_000 }).toEqual([1]);
      await got[0]!.ack();
      const clashWarnings = () =>
        warn.mock.calls.filter(([text]) => String(text).includes(`"${key(clash)}"`));
      await expect.poll(() => clashWarnings().length).toBe(1);
      expect(String(clashWarnings()[0]![0])).toContain('holds a string, not a list');
      // Once the key is a list again, its messages are consumed.
      await redis.del(key(clash));
      await broker.publish(msg(2), { queue: clash });
      await expect.poll(() => got.map(argOf), { timeout: 10_000 }).toEqual([1, 2]);
      await got[1]!.ack();
      expect(clashWarnings()).toHaveLength(1);
      await expect
        .poll(() => log.mock.calls.some(([text]) => String(text).includes('consuming it again')))
        .toBe(true);
    } finally {
      warn.mockRestore();
      log.mockRestore();
    }
  });

  it('puts priorities in kombu sub-lists and serves band 0 first, FIFO inside a band', async () => {
    const broker = await open();
    const q = `q-${randomUUID()}`;
    for (const p of [9, 5, 3, 0, 2, 6]) await broker.publish(msg(p, p), { queue: q, priority: p });
    expect(await redis.llen(key(q))).toBe(2);
    expect(await redis.llen(key(`${q}${SEP}3`))).toBe(2);
    expect(await redis.llen(key(`${q}${SEP}6`))).toBe(1);
    expect(await redis.llen(key(`${q}${SEP}9`))).toBe(1);
    expect(await broker.queueLength(q)).toBe(6);
    const got = await collect(broker, q);
    await expect.poll(() => got.length).toBe(6);
    expect(got.map(argOf)).toEqual([0, 2, 5, 3, 6, 9]);
    expect(got.map((d) => d.deliveryInfo.priority)).toEqual([0, 2, 5, 3, 6, 9]);
    await Promise.all(got.map((d) => d.ack()));
  });

  it('records an in-flight delivery in unacked / unacked_index and clears it on ack', async () => {
    const broker = await open();
    const q = `q-${randomUUID()}`;
    await broker.publish(msg(1), { queue: q });
    const got = await collect(broker, q);
    await expect.poll(() => got.length).toBe(1);
    const tag = got[0]!.deliveryTag;
    const entry = JSON.parse((await redis.hget(key('unacked'), tag))!) as [
      Record<string, unknown>,
      string,
      string,
    ];
    expect(entry[1]).toBe('');
    expect(entry[2]).toBe(q);
    expect((entry[0].properties as Record<string, unknown>).delivery_tag).toBe(tag);
    const score = Number(await redis.zscore(key('unacked_index'), tag));
    expect(Math.abs(score - Date.now() / 1000)).toBeLessThan(60);
    await got[0]!.ack();
    expect(await redis.hexists(key('unacked'), tag)).toBe(0);
    expect(await redis.zscore(key('unacked_index'), tag)).toBeNull();
  });

  it('restores the unacked entry of a vanished consumer, byte for byte plus redelivered', async () => {
    const q = `q-${randomUUID()}`;
    const { tag, envelope } = pythonEnvelope(q);
    // What a Python worker leaves behind when it is SIGKILLed mid-task.
    await redis.hset(key('unacked'), tag, `[${envelope}, "", "${q}"]`);
    await redis.zadd(key('unacked_index'), Date.now() / 1000 - 100, tag);
    const watcher = await open();
    await watcher.consume([`idle-${randomUUID()}`], () => undefined, { prefetch: 1 });
    await expect.poll(() => redis.llen(key(q))).toBe(1);
    const restored = await redis.lindex(key(q), 0);
    expect(restored).toBe(
      envelope
        .replace('"headers": {', '"headers": {"redelivered": true, ')
        .replace('"delivery_info": {', '"delivery_info": {"redelivered": true, '),
    );
    expect(await redis.hexists(key('unacked'), tag)).toBe(0);
    const got = await collect(watcher, q);
    await expect.poll(() => got.length).toBe(1);
    expect(got[0]!.redelivered).toBe(true);
    expect(got[0]!.deliveryTag).toBe(tag);
    expect(got[0]!.message.body).toBe(
      '[[2, 3], {}, {"callbacks": null, "errbacks": null, "chain": null, "chord": null}]',
    );
    await got[0]!.ack();
  });

  it('leaves expired entries alone while another process holds unacked_mutex', async () => {
    const q = `q-${randomUUID()}`;
    const { tag, envelope } = pythonEnvelope(q);
    await redis.set(key('unacked_mutex'), 'python-worker-token', 'PX', 60_000);
    await redis.hset(key('unacked'), tag, `[${envelope}, "", "${q}"]`);
    await redis.zadd(key('unacked_index'), Date.now() / 1000 - 100, tag);
    const watcher = await open();
    await watcher.consume([`idle-${randomUUID()}`], () => undefined, { prefetch: 1 });
    await new Promise((r) => setTimeout(r, 700));
    expect(await redis.llen(key(q))).toBe(0);
    await redis.del(key('unacked_mutex'));
    await expect.poll(() => redis.llen(key(q))).toBe(1);
    await redis.del(key(q));
  });

  it('does not restore a long task while its consumer lives (lease renewal and touch)', async () => {
    const q = `q-${randomUUID()}`;
    const owner = await open({
      visibilityTimeout: 1,
      leaseRenewalInterval: 200,
      restoreInterval: 100,
    });
    const rival = await open({ visibilityTimeout: 1, restoreInterval: 100 });
    await owner.publish(msg(1), { queue: q });
    const mine = await collect(owner, q, 1);
    await expect.poll(() => mine.length).toBe(1);
    const theirs = await collect(rival, q);
    await new Promise((r) => setTimeout(r, 2500));
    await mine[0]!.touch();
    expect(theirs.length).toBe(0);
    expect(mine.length).toBe(1);
    await mine[0]!.ack();
  });

  it('requeues a rejected message at the back of the line with the redelivered flags', async () => {
    const broker = await open();
    const q = `q-${randomUUID()}`;
    await broker.publish(msg(1), { queue: q });
    await broker.publish(msg(2), { queue: q });
    const got = await collect(broker, q, 1);
    await expect.poll(() => got.length).toBe(1);
    await got[0]!.reject(true);
    await expect.poll(() => got.length).toBe(2);
    await got[1]!.ack();
    await expect.poll(() => got.length).toBe(3);
    expect(got.map(argOf)).toEqual([1, 2, 1]);
    expect(got[2]!.redelivered).toBe(true);
    expect(got[2]!.message.headers.redelivered).toBe(true);
    await got[2]!.ack();
  });

  it('parks notBefore and deferred messages in the delayed zset and promotes them when due', async () => {
    const broker = await open();
    const q = `q-${randomUUID()}`;
    await broker.publish(msg(1), { queue: q, notBefore: new Date(Date.now() + 60_000) });
    await broker.publish(msg(2), { queue: q, notBefore: new Date(Date.now() + 400) });
    expect(await redis.zcard(key('celeriac:delayed'))).toBeGreaterThanOrEqual(2);
    expect(await broker.queueLength(q)).toBe(0);
    const got = await collect(broker, q);
    await expect.poll(() => got.length, { timeout: 5000 }).toBe(1);
    expect(argOf(got[0]!)).toBe(2);
    await got[0]!.defer(new Date(Date.now() + 60_000));
    expect(await redis.hexists(key('unacked'), got[0]!.deliveryTag)).toBe(0);
    const parked = await redis.zrange(key('celeriac:delayed'), '0', '-1');
    expect(parked.filter((e) => e.includes(q))).toHaveLength(2);
    await redis.zrem(key('celeriac:delayed'), ...parked.filter((e) => e.includes(q)));
  });

  it('takes Python-written envelopes without body_encoding or delivery_tag, and sets garbage aside', async () => {
    const broker = await open();
    const q = `q-${randomUUID()}`;
    await redis.lpush(key(q), 'not json at all');
    await redis.lpush(
      key(q),
      JSON.stringify({
        body: '[[7], {}, {}]',
        'content-type': 'application/json',
        'content-encoding': 'utf-8',
        headers: { task: 'redis.task', id: 'hand-made' },
        properties: { delivery_info: { exchange: '', routing_key: q }, priority: 0 },
      }),
    );
    const got = await collect(broker, q);
    await expect.poll(() => got.length).toBe(1);
    expect(got[0]!.message.body).toBe('[[7], {}, {}]');
    expect(got[0]!.deliveryTag).toMatch(UUID);
    const entry = await redis.hget(key('unacked'), got[0]!.deliveryTag);
    expect(JSON.parse(entry!)[0].properties.delivery_tag).toBe(got[0]!.deliveryTag);
    expect(await redis.lrange(key('celeriac:invalid'), 0, -1)).toContain('not json at all');
    await got[0]!.ack();
  });

  it('fails a publish to a queue key of another type with a clear error naming the key', async () => {
    const broker = await open();
    const q = `q-${randomUUID()}`;
    await redis.hset(key(q), 'not', 'a list');
    const failed = broker.publish(msg(1), { queue: q });
    await expect(failed).rejects.toThrow(key(q));
    await expect(failed).rejects.toThrow(/WRONGTYPE/);
  });

  it('sets aside an entry holding NUL bytes (the fetch reply separator) and serves the rest', async () => {
    const broker = await open();
    const q = `q-${randomUUID()}`;
    const tag = randomUUID();
    const withNul = `{"body": "\u0000", "x": "a\0b", "properties": {"delivery_tag": "${tag}"}}`;
    await redis.lpush(key(q), withNul);
    await broker.publish(msg(2), { queue: q });
    const got = await collect(broker, q);
    await expect.poll(() => got.length).toBe(1);
    expect(argOf(got[0]!)).toBe(2);
    expect(await redis.lrange(key('celeriac:invalid'), 0, -1)).toContain(withNul);
    expect(await redis.hexists(key('unacked'), tag)).toBe(0);
    await got[0]!.ack();
  });

  it('sets aside an envelope whose tail is well formed but whose JSON is not, and serves the rest', async () => {
    const broker = await open();
    const q = `q-${randomUUID()}`;
    const tag = randomUUID();
    // fetch-2.lua reads the tag from the tail only: the broken start is found in Node.
    const broken = `{"body": "W1tdLHt9LHt9XQ==", "headers": {"task": ,}, "properties": {"delivery_tag": "${tag}"}}`;
    await redis.lpush(key(q), broken);
    await broker.publish(msg(1), { queue: q });
    const got = await collect(broker, q);
    await expect.poll(() => got.length).toBe(1);
    expect(argOf(got[0]!)).toBe(1);
    await expect.poll(() => redis.lrange(key('celeriac:invalid'), 0, -1)).toContain(broken);
    expect(await redis.hexists(key('unacked'), tag)).toBe(0);
    expect(await redis.zscore(key('unacked_index'), tag)).toBeNull();
    await got[0]!.ack();
  });
});
