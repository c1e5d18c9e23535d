import { describe, expect, it } from 'vitest';
import {
  chain,
  chord,
  ConfigurationError,
  group,
  GroupStoreUnsupportedError,
  type RemoteTaskError,
  type AsyncResult,
} from 'celeriac';
import { useCanvasApp } from '../support/canvas-harness.js';
import { RABBITMQ_REDIS, RABBITMQ_RPC, REDIS_TYPEORM } from '../support/canvas-transports.js';

/**
 * Canvases built and run in Node on the other transports: RabbitMQ as the broker (Redis or
 * rpc:// results), and the TypeORM result backend on PostgreSQL (Redis broker), where chords
 * complete through `celery.chord_unlock` as with Celery's database backend. rpc:// has no
 * chords (as in Celery): those cases check the ConfigurationError instead.
 */
const T = { timeout: 20_000 };

describe.each([RABBITMQ_REDIS, RABBITMQ_RPC, REDIS_TYPEORM])('canvas on $name', (transport) => {
  const h = useCanvasApp(transport);

  it('chain, group, chord and chain(task, group, body)', async () => {
    const chained = await chain(h.add.s(2, 2), h.add.s(4)).delay();
    expect(await chained.get(T)).toBe(8);
    expect(await (chained.parent as AsyncResult<number>).get(T)).toBe(4);
    const grouped = await group(h.add.s(1, 1), h.add.s(2, 2)).delay();
    expect(await grouped.get(T)).toEqual([2, 4]);
    if (!transport.chords) {
      // rpc://: no saved groups, no chords, as in Celery; both say so with a typed error.
      await expect(grouped.save()).rejects.toBeInstanceOf(GroupStoreUnsupportedError);
      await expect(chord([h.add.s(1, 1)], h.tsum.s()).delay()).rejects.toBeInstanceOf(
        ConfigurationError,
      );
      return;
    }
    await grouped.save();
    const restored = await h.client.restoreGroup<number[]>(grouped.id);
    expect(await restored?.get(T)).toEqual([2, 4]);
    expect(await (await chord([h.add.s(1, 1), h.add.s(2, 2)], h.tsum.s()).delay()).get(T)).toBe(6);
    const nested = await chain(h.add.s(1, 1), group(h.add.s(1), h.add.s(2)), h.tsum.s()).delay();
    expect(await nested.get(T)).toBe(7);
  });

  it('map / starmap / chunks on the Node built-ins', async () => {
    expect(await (await h.add.starmap([[1, 2]]).delay()).get(T)).toEqual([3]);
    const chunked = await h.add
      .chunks(
        [
          [1, 1],
          [2, 2],
          [3, 3],
        ],
        2,
      )
      .delay();
    expect(await chunked.get(T)).toEqual([[2, 4], [6]]);
  });

  it('chain(...).applyAsyncOnCommit(): sent after COMMIT, never after a rollback', async () => {
    if (!h.transport.dataSource) return; // the TypeORM set-up only
    const ds = h.transport.dataSource;
    let committed!: AsyncResult<number>;
    await ds.transaction(async (manager) => {
      committed = await chain(h.add.s(1, 1), h.add.s(1)).applyAsyncOnCommit(undefined, { manager });
    });
    expect(await committed.get(T)).toBe(3);
    let rolledBack!: AsyncResult<number>;
    await ds
      .transaction(async (manager) => {
        rolledBack = await chain(h.add.s(5, 5), h.add.s(5)).applyAsyncOnCommit(undefined, {
          manager,
        });
        throw new Error('rollback');
      })
      .catch(() => undefined);
    // A longer chain sent afterwards finishes; the rolled-back one was never sent.
    const marker = await chain(h.add.s(0, 0), h.add.s(0), h.add.s(0)).delay();
    expect(await marker.get(T)).toBe(0);
    expect(await rolledBack.state()).toBe('PENDING');
    expect(await (rolledBack.parent as AsyncResult).state()).toBe('PENDING');
  });

  it.skipIf(!transport.chords)(
    'a failing header member fails the chord body (ChordError) and runs its link_error',
    async () => {
      const errbackId = crypto.randomUUID();
      const body = h.tsum.s().linkError(h.echo.si('errback').set({ taskId: errbackId }));
      const result = await chord([h.add.s(1, 1), h.fail.s('header')], body).delay();
      const stored = result.get({ ...T, followParents: false });
      const error = (await stored.catch((e: unknown) => e)) as RemoteTaskError;
      expect(error.excType).toBe('ChordError');
      expect(await h.client.result<{ args: unknown[] }>(errbackId).get(T)).toEqual({
        args: ['errback'],
        lang: 'node',
      });
    },
  );
});
