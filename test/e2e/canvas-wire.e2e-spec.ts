import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chain, chord, group, type AsyncResult, type GroupResult } from 'celeriac';
import { useCanvasApp } from '../support/canvas-harness.js';
import { CANVAS_REDIS, REDIS } from '../support/canvas-transports.js';

/**
 * Wire parity: the same canvases built by Python Celery 5.2.6 and by Celeriac, each sent to a
 * Redis list nobody consumes, must give the same messages field by field: headers, properties,
 * body, and the embedded chain / chord / callbacks / errbacks signatures with their frozen
 * options. Only values that differ by nature are replaced before comparing: ids (numbered by
 * where they appear, so the same id must sit in the same places), the queue name, `origin`,
 * `lang`, the producer's `reply_to` oid, `delivery_tag` and dates; Celeriac's own `x-celeriac-*`
 * headers are left out.
 */
const PRIORITY_LISTS = ['', '\x06\x163', '\x06\x166', '\x06\x169'];

interface Sent {
  headers: Record<string, unknown>;
  properties: Record<string, unknown>;
  body: unknown;
}
interface Case {
  messages: Sent[];
  chord_sizes: Record<string, number>;
}

const h = useCanvasApp(REDIS, { worker: false });
const redis = new Redis(CANVAS_REDIS);
let python: Record<string, Case>;

beforeAll(async () => {
  python = await h.runPython<Record<string, Case>>('canvas_wire.py', CANVAS_REDIS, h.pyQueue);
}, 60_000);

afterAll(() => redis.disconnect());

/** What Node sent to its list (oldest first), emptied, and the chord sizes it set. */
async function sent(handle: AsyncResult | GroupResult<readonly unknown[]>): Promise<Case> {
  const messages: Sent[] = [];
  for (const suffix of PRIORITY_LISTS) {
    const raw = await redis.lrange(h.nodeQueue + suffix, 0, -1);
    await redis.del(h.nodeQueue + suffix);
    for (const item of raw.reverse()) {
      const envelope = JSON.parse(item) as Sent & { body: string };
      const body = JSON.parse(Buffer.from(envelope.body, 'base64').toString('utf8')) as unknown;
      messages.push({ headers: envelope.headers, properties: envelope.properties, body });
    }
  }
  const chordSizes: Record<string, number> = {};
  for (let node: typeof handle | null = handle; node; node = node.parent) {
    const key = `celery-taskset-meta-${node.id}.s`;
    const size = await redis.get(key);
    if (size !== null) {
      chordSizes[node.id] = Number(size);
      await redis.del(key);
    }
  }
  return { messages, chord_sizes: chordSizes };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const BY_NATURE: Record<string, string> = {
  origin: '<origin>',
  lang: '<lang>',
  reply_to: '<reply_to>',
  delivery_tag: '<delivery_tag>',
};

/** Replace what differs by nature; ids numbered in (sorted-key) traversal order. */
function normalize(value: unknown, queue: string, ids = new Map<string, string>()): unknown {
  if (typeof value === 'string') {
    if (value === queue) return '<queue>';
    if (UUID.test(value)) {
      if (!ids.has(value)) ids.set(value, `<id ${ids.size + 1}>`);
      return ids.get(value);
    }
    if (/^\d{4}-\d\d-\d\dT/.test(value)) return '<date>';
    // Python keeps a signature's args as a tuple, which shows in the repr of a nested one.
    if (value.startsWith("{'task': {")) return value.replace(/'args': \(\)/g, "'args': []");
    return value;
  }
  if (Array.isArray(value)) return value.map((item) => normalize(item, queue, ids));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    // Celeriac's own custom headers (`x-celeriac-*`, e.g. the send time for queue metrics)
    // are extra application headers Python passes along; parity is about Celery's fields.
    for (const key of Object.keys(value)
      .filter((k) => !k.startsWith('x-celeriac-'))
      .sort()) {
      const item = (value as Record<string, unknown>)[key];
      out[key] = key in BY_NATURE ? BY_NATURE[key] : normalize(item, queue, ids);
    }
    return out;
  }
  return value;
}

async function expectParity(
  name: string,
  apply: () => Promise<AsyncResult | GroupResult<readonly unknown[]>>,
): Promise<void> {
  const node = await sent(await apply());
  const py = python[name]!;
  expect(py.messages.length).toBeGreaterThan(0);
  // Chord sizes as [group id, size] pairs, so their ids are numbered like the others.
  const comparable = (c: Case): unknown => ({
    messages: c.messages,
    chordSizes: Object.entries(c.chord_sizes),
  });
  expect(normalize(comparable(node), h.nodeQueue)).toEqual(normalize(comparable(py), h.pyQueue));
}

describe('canvas wire parity with Python Celery 5.2.6 (Redis)', () => {
  it('a signature with partial args and priority', () =>
    expectParity('signature', () => h.add.s(2).set({ priority: 5 }).applyAsync([1])));

  it('an immutable signature ignores the call args', () =>
    expectParity('immutable', () =>
      h.add
        .si(2, 3)
        .applyAsync([9] as never)
        .then((r) => r),
    ));

  it('chain with per-step queue and priority', () =>
    expectParity('chain', () =>
      chain(
        h.add.s(1, 1),
        h.add.s(2),
        h.mul.s(3).set({ queue: h.nodeQueue, priority: 3 }),
      ).applyAsync(),
    ));

  it('group', () => expectParity('group', () => group(h.add.s(1, 1), h.add.s(2, 2)).applyAsync()));

  it('chord (and its .s size key)', () =>
    expectParity('chord', () => chord([h.add.s(1, 1), h.add.s(2, 2)], h.tsum.s()).applyAsync()));

  it('link and link_error', () =>
    expectParity('link', () =>
      h.add.applyAsync([1, 1], { link: h.add.s(10), linkError: h.echo.si('err') }),
    ));

  it('chain(task, group, body): the group becomes a chord', () =>
    expectParity('chain_group_body', () =>
      chain(h.add.s(1, 1), group(h.add.s(1), h.mul.s(2)), h.tsum.s()).applyAsync(),
    ));

  it('a group of chains', () =>
    expectParity('group_of_chains', () =>
      group(chain(h.add.s(1, 1), h.mul.s(2)), h.add.s(3, 3)).applyAsync(),
    ));

  it('a chord as a chain step', () =>
    expectParity('chain_chord_step', () =>
      chain(h.add.s(1, 2), chord([h.add.s(1), h.add.s(2)], h.tsum.s()), h.mul.s(10)).applyAsync(),
    ));

  it('a chord whose body has an errback', () =>
    expectParity('chord_errback', () =>
      chord([h.add.s(1, 1)], h.tsum.s().linkError(h.echo.si('x'))).applyAsync(),
    ));

  it('map, starmap and chunks', async () => {
    await expectParity('map', () => h.add.map([[1, 2] as never, [3, 4] as never]).applyAsync());
    await expectParity('starmap', () => h.add.starmap([[1, 2]]).applyAsync());
    await expectParity('chunks', () =>
      h.add
        .chunks(
          [
            [1, 1],
            [2, 2],
            [3, 3],
          ],
          2,
        )
        .applyAsync(),
    );
  });

  it('a chain applied with link and link_error (the errback on every step)', () =>
    expectParity('chain_link_error', () =>
      chain(h.add.s(1, 1), h.add.s(2)).applyAsync(undefined, {
        link: h.echo.s('ok'),
        linkError: h.echo.si('err'),
      }),
    ));

  it('a chain applied with args, priority and countdown 0 (no eta, as Celery)', () =>
    expectParity('chain_countdown_0', () =>
      chain(h.add.s(1), h.add.s(2)).applyAsync([5], { countdown: 0, priority: 4 }),
    ));

  it('a group in a group, and a chord whose header holds a chain', async () => {
    await expectParity('group_in_group', () =>
      group(group(h.add.s(1, 1), h.add.s(2, 2)), h.add.s(3, 3)).applyAsync(),
    );
    await expectParity('chord_header_chain', () =>
      chord([chain(h.add.s(1, 1), h.add.s(2)), h.add.s(3, 3)], h.tsum.s()).applyAsync(),
    );
  });

  it("chain(...).linkError(eb) (Python's on_error): the errback on every step", () =>
    expectParity('chain_on_error', () =>
      chain(h.add.s(1, 1), h.add.s(2)).linkError(h.echo.si('err')).applyAsync(),
    ));

  it('chord(...).link(cb).linkError(eb): both on the body, as Celery', () =>
    expectParity('chord_link_methods', () =>
      chord([h.add.s(1, 1), h.add.s(2, 2)], h.tsum.s())
        .link(h.echo.s('ok'))
        .linkError(h.echo.si('err'))
        .applyAsync(),
    ));
});
