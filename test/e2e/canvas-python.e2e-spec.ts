import { describe, expect, it } from 'vitest';
import {
  chain,
  chord,
  group,
  type RemoteTaskError,
  xmap,
  xstarmap,
  type AsyncResult,
  type GroupResult,
} from 'celeriac';
import { useCanvasApp } from '../support/canvas-harness.js';
import { RABBITMQ_REDIS, RABBITMQ_RPC, REDIS } from '../support/canvas-transports.js';

/**
 * Canvases across languages: built in Node and run by a Python Celery 5.2.6 worker (Redis,
 * RabbitMQ with Redis or rpc:// results); built in Node mixing Node tasks (`interop.*`, this
 * process's worker) and Python tasks (`py.*`); built in Python mixing both, including
 * `chain(node, group(...), body)`; and children / parent read from both languages.
 */
const T = { timeout: 20_000 };
/** `celery.starmap` (chunks, xstarmap) runs on the Python worker. */
const builtinsOnPython = (q: { py: string }) => ({ 'celery.starmap': { queue: q.py } });

describe.each([REDIS, RABBITMQ_REDIS, RABBITMQ_RPC])(
  'canvases built in Node, run by a Python worker ($name)',
  (transport) => {
    const h = useCanvasApp(transport, { python: true, routes: builtinsOnPython });

    it('chain, group and chord of Python tasks', async () => {
      const chained = h.track(
        await chain(
          h.py<number>('add', 2, 2),
          h.py<number>('add', 4),
          h.py<number>('mul', 3),
        ).delay(),
      );
      expect(await chained.get(T)).toBe(24);
      expect(await (chained.parent as AsyncResult).get(T)).toBe(8);
      const grouped = h.track(await group(h.py('add', 1, 1), h.py('mul', 3, 3)).delay());
      expect(await grouped.get(T)).toEqual([2, 9]);
      if (!transport.chords) return; // rpc://: no chords, as in Celery
      const joined = h.track(
        await chord([h.py('add', 1, 1), h.py('add', 2, 2)], h.py('tsum')).delay(),
      );
      expect(await joined.get(T)).toBe(6);
    });

    it('map, starmap and chunks run by the Python built-ins', async () => {
      const mapped = h.track(
        await xmap(h.py('tsum'), [
          [1, 2],
          [3, 4],
        ]).delay(),
      );
      expect(await mapped.get(T)).toEqual([3, 7]);
      const starred = h.track(await xstarmap(h.py('add'), [[1, 2]]).delay());
      expect(await starred.get(T)).toEqual([3]);
      const chunked = h.track(
        await h.add
          .chunks(
            [
              [1, 1],
              [2, 2],
              [3, 3],
            ],
            2,
          )
          .delay(),
      );
      expect(await chunked.get(T)).toEqual([[2, 4], [6]]);
    });

    it.skipIf(!transport.chords)(
      'a failing Python header member fails the chord and runs its link_error',
      async () => {
        const errbackId = crypto.randomUUID();
        const body = h
          .py('tsum')
          .linkError(
            h.client.signature('py.echo', ['errback'], {}, { immutable: true, taskId: errbackId }),
          );
        const result = h.track(
          await chord([h.py('add', 1, 1), h.py('fail', 'boom')], body).delay(),
        );
        const error = await result.get({ ...T, followParents: false }).catch((e: unknown) => e);
        expect((error as RemoteTaskError).excType).toBe('ChordError');
        const errback = h.track(h.client.result<{ args: unknown[]; lang: string }>(errbackId));
        expect(await errback.get(T)).toEqual({ args: ['errback'], lang: 'python' });
      },
    );
  },
);

describe.each([REDIS, RABBITMQ_REDIS])('mixed canvases ($name)', (transport) => {
  const h = useCanvasApp(transport, { python: true, routes: builtinsOnPython });

  it('built in Node: chain(node, python, group(node, python), node body)', async () => {
    const result = h.track(
      await chain(
        h.add.s(1, 1),
        h.py<number>('mul', 3),
        group(h.add.s(1), h.py<number>('add', 2)),
        h.tsum.s(),
      ).delay(),
    );
    expect(await result.get(T)).toBe(7 + 8);
    const header = result.parent as GroupResult<number[]>;
    expect(await header.get(T)).toEqual([7, 8]);
    const second = header.parent as AsyncResult<number>;
    const first = second.parent as AsyncResult<number>;
    // Python reads what each worker recorded: the Node step lists the Python step as its
    // child; the Python step recorded the chord it started.
    const seen = (await h.runPython('canvas_mixed.py', 'inspect', first.id, second.id)) as Record<
      string,
      { value: unknown; children: string[]; parent_id: string | null }
    >;
    expect(seen[first.id]).toMatchObject({ value: 2, children: [second.id] });
    expect(seen[second.id]).toMatchObject({ value: 6, parent_id: first.id });
    expect(seen[second.id]!.children).toHaveLength(1);
    expect((await first.children()).map((c) => c.id)).toEqual([second.id]);
  });

  it('built in Node: a chord with a mixed header and a Python body; echo reports the language', async () => {
    const result = h.track(
      await chain(
        chord([h.add.s(1, 1), h.py('add', 2, 2)], h.py<number>('tsum')),
        h.echo.s(),
      ).delay(),
    );
    expect(await result.get(T)).toEqual({ args: [6], lang: 'node' });
  });

  it('built in Python: chain(node, group(python, node), python body), chords, map / chunks of Node tasks', async () => {
    const out = await h.runPython('canvas_mixed.py', 'build');
    h.ids.push(...(out.ids as string[]));
    expect(out.chain_group_body).toBe(12 + 20);
    expect(out.chain_group_body_header).toEqual([12, 20]);
    expect(out.chain_group_body_first).toBe(2);
    expect(out.chord).toBe(6);
    expect(out.chain).toEqual({ args: [6], lang: 'node' });
    // Python's get() re-raises the failed header member's error first (follow_parents).
    expect(out.chord_error).toEqual(['CanvasError', 'boom']);
    // The body's (immutable) link_error runs on Node whichever worker joins the chord.
    expect(out.chord_errback).toEqual({ args: ['errback'], lang: 'node' });
    expect(out.node_chord_error).toEqual(['CanvasError', 'boom']);
    expect(out.node_chord_errback).toEqual({ args: ['errback'], lang: 'node' });
    expect(out.map).toEqual([3, 7]);
    expect(out.starmap).toEqual([3, 7]);
    expect(out.chunks).toEqual([[2, 4], [6]]);
    // The Node worker recorded the header group of the chord it started as the first task's
    // child, as a Python worker does: Python reads it back.
    expect(out.chain_group_body_first_children).toEqual([out.chain_group_body_header_id]);
  });
});
