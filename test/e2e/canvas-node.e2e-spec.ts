import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { describe, expect, it, vi } from 'vitest';
import { type AsyncResult, chain, chord, group, GroupResult, RemoteTaskError } from 'celeriac';
import { useCanvasApp } from '../support/canvas-harness.js';
import { CANVAS_REDIS, REDIS } from '../support/canvas-transports.js';

/**
 * Canvases built in Node (signatures, chain, group, chord, link / link_error, nested) and run by
 * a Node worker on Redis, with Redis results: values, result handles (parent, children,
 * GroupResult), and chord failure.
 */
const T = { timeout: 15_000 };
const h = useCanvasApp(REDIS);
const { track } = h;

describe('canvas built in Node, run by a Node worker (Redis)', () => {
  it('a signature applies like the task: .s() binds the last arguments, .set() routes', async () => {
    const result = track(await h.add.s(5).set({ countdown: 0 }).applyAsync([1]));
    expect(await result.get(T)).toBe(6);
    expect(await track(await h.add.si(2, 3).delay()).get(T)).toBe(5);
  });

  it('chain(h.add.s(2, 2), h.add.s(4), h.mul.s(3)): 24, parents walk back, children recorded', async () => {
    const result = track(await chain(h.add.s(2, 2), h.add.s(4), h.mul.s(3)).applyAsync());
    expect(await result.get(T)).toBe(24);
    const parent = result.parent as AsyncResult<number>;
    expect(await parent.get(T)).toBe(8);
    expect(await (parent.parent as AsyncResult<number>).get(T)).toBe(4);
    expect(parent.parent?.parent).toBeNull();
  });

  it('group: a GroupResult resolving the values in order; completedCount, save / restore', async () => {
    const result = track(await group(h.add.s(1, 1), h.mul.s(3, 3), h.add.s(10, 10)).applyAsync());
    expect(result).toBeInstanceOf(GroupResult);
    expect(await result.get(T)).toEqual([2, 9, 20]);
    expect(await result.completedCount()).toBe(3);
    await result.save();
    const restored = await h.client.restoreGroup<number[]>(result.id);
    expect(restored?.results.map((r) => r.id)).toEqual(result.results.map((r) => r.id));
    expect(await restored?.get(T)).toEqual([2, 9, 20]);
  });

  it('chord(header, h.tsum.s()): the body gets the header values; parent is the header group', async () => {
    const result = track(
      await chord([h.add.s(1, 1), h.add.s(2, 2), h.add.s(3, 3)], h.tsum.s()).applyAsync(),
    );
    expect(await result.get(T)).toBe(12);
    expect(result.parent).toBeInstanceOf(GroupResult);
    expect(await (result.parent as GroupResult<number[]>).get(T)).toEqual([2, 4, 6]);
  });

  it('chain(add, group(...), tsum): the group becomes a chord; the body result has its own id', async () => {
    const result = track(
      await chain(h.add.s(1, 1), group(h.add.s(10), h.mul.s(10)), h.tsum.s()).applyAsync(),
    );
    expect(await result.get(T)).toBe(2 + 10 + 2 * 10);
    const header = result.parent as GroupResult<number[]>;
    expect(header).toBeInstanceOf(GroupResult);
    expect(header.id).not.toBe(result.id);
    expect(await header.get(T)).toEqual([12, 20]);
    expect(await (header.parent as AsyncResult<number>).get(T)).toBe(2);
  });

  it('a group of chains, and a chord inside a chain', async () => {
    const groupOfChains = track(
      await group(chain(h.add.s(1, 1), h.mul.s(2)), chain(h.add.s(2, 2), h.mul.s(3))).applyAsync(),
    );
    expect(await groupOfChains.get(T)).toEqual([4, 12]);
    const nested = track(
      await chain(
        h.add.s(1, 2),
        chord([h.add.s(1), h.add.s(2)], h.tsum.s()),
        h.mul.s(10),
      ).applyAsync(),
    );
    expect(await nested.get(T)).toBe((3 + 1 + (3 + 2)) * 10);
  });

  it('map, starmap and chunks run on the Node worker (celery.map / starmap built-ins)', async () => {
    expect(
      await track(
        await h.tsum
          .map([
            [1, 2],
            [3, 4],
          ])
          .delay(),
      ).get(T),
    ).toEqual([3, 7]);
    expect(
      await track(
        await h.add
          .starmap([
            [1, 2],
            [3, 4],
          ])
          .delay(),
      ).get(T),
    ).toEqual([3, 7]);
    const chunked = track(
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

  it('children: a chain step lists the next one; parent_id / root_id follow the chain', async () => {
    const result = track(await chain(h.add.s(1, 1), h.add.s(1), h.add.s(1)).applyAsync());
    expect(await result.get(T)).toBe(4);
    const first = result.parent!.parent as AsyncResult<number>;
    expect((await first.children()).map((c) => c.id)).toEqual([result.parent!.id]);
    const meta = await result.meta();
    expect(meta?.parent_id).toBe(result.parent!.id);
  });

  it('link and linkError options of applyAsync', async () => {
    const callback = h.add.s(100).set({ taskId: crypto.randomUUID() });
    const result = track(await h.add.applyAsync([1, 2], { link: callback }));
    expect(await result.get(T)).toBe(3);
    const linked = track(h.client.result<number>(callback.options.task_id as string));
    expect(await linked.get(T)).toBe(103);
    expect((await result.children()).map((c) => c.id)).toContain(linked.id);

    const errbackId = crypto.randomUUID();
    const failed = track(
      await h.fail.applyAsync(['boom'], {
        linkError: h.echo.s('errback').set({ taskId: errbackId }),
      }),
    );
    await expect(failed.get(T)).rejects.toBeInstanceOf(RemoteTaskError);
    const errback = track(h.client.result<{ args: unknown[] }>(errbackId));
    expect((await errback.get(T)).args).toEqual([failed.id, 'errback']);
  });

  it('chain(...).linkError(eb) runs eb for the step that failed; chord(...).link(cb) runs cb with the body value', async () => {
    const errbackId = crypto.randomUUID();
    const chained = chain(h.add.s(1, 1), h.fail.si('step'), h.add.s(1)).linkError(
      h.echo.s('chain-errback').set({ taskId: errbackId }),
    );
    const result = track(await chained.applyAsync());
    const failedStep = result.parent as AsyncResult;
    await expect(failedStep.get(T)).rejects.toBeInstanceOf(RemoteTaskError);
    const errback = track(h.client.result<{ args: unknown[] }>(errbackId));
    expect((await errback.get(T)).args).toEqual([failedStep.id, 'chain-errback']);

    const callbackId = crypto.randomUUID();
    const body = track(
      await chord([h.add.s(1, 1), h.add.s(2, 2)], h.tsum.s())
        .link(h.add.s(100).set({ taskId: callbackId }))
        .applyAsync(),
    );
    expect(await body.get(T)).toBe(6);
    expect(await track(h.client.result<number>(callbackId)).get(T)).toBe(106);
  });

  it('a failing header member fails the chord body with ChordError and runs its link_error', async () => {
    const errbackId = crypto.randomUUID();
    const body = h.tsum.s().linkError(h.echo.s('chord-errback').set({ taskId: errbackId }));
    const result = track(await chord([h.add.s(1, 1), h.fail.s('header')], body).applyAsync());
    // get() follows parents as Celery's: the failed header member's error comes first.
    await expect(result.get(T)).rejects.toMatchObject({ excType: 'CanvasError' });
    const error = await result.get({ ...T, followParents: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteTaskError);
    expect((error as RemoteTaskError).excType).toBe('ChordError');
    const errback = track(h.client.result<{ args: unknown[] }>(errbackId));
    expect((await errback.get(T)).args).toEqual([result.id, 'chord-errback']);
  });

  it('a failing header fails every step of a chain body, not only its last one', async () => {
    const body = chain(h.tsum.s(), h.mul.s(10), h.add.s(1));
    const result = track(await chord([h.add.s(1, 1), h.fail.s('header')], body).applyAsync());
    const steps = [result, result.parent as AsyncResult, result.parent?.parent as AsyncResult];
    for (const step of steps) {
      const error = await step.get({ ...T, followParents: false }).catch((e: unknown) => e);
      expect((error as RemoteTaskError).excType).toBe('ChordError');
    }
    expect(steps[2]!.parent).toBeInstanceOf(GroupResult);
  });

  it('a header task that retries counts once, when it finally returns', async () => {
    const header = [h.flaky.s(1, 2), h.flaky.s(2, 1), h.add.s(3, 0)];
    const result = track(await chord(header, h.echo.s()).applyAsync());
    expect(await result.get(T)).toEqual({ args: [[1, 2, 3]], lang: 'node' });
  });

  it('a chord whose .j join key holds another type fails the body with ChordError and says what to do', async () => {
    const gid = randomUUID();
    const joinKey = `celery-taskset-meta-${gid}.j`;
    const redis = new Redis(CANVAS_REDIS);
    const warn = vi.spyOn(Logger.prototype, 'warn');
    try {
      await redis.set(joinKey, 'not a zset', 'EX', 600);
      const header = group(h.add.s(1, 1), h.add.s(2, 2)).set({ taskId: gid });
      const body = h.client.signature<number>('interop.tsum', []);
      const result = track(await chord(header, body).applyAsync());
      const error = await result.get(T).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RemoteTaskError);
      expect((error as RemoteTaskError).excType).toBe('ChordError');
      expect((error as Error).message).toContain(`Join error: ${joinKey} holds a string`);
      const lines = warn.mock.calls.map((call) => String(call[0]));
      expect(lines.some((l) => l.includes(`Chord ${gid} failed`) && l.includes(joinKey))).toBe(
        true,
      );
    } finally {
      warn.mockRestore();
      await redis.del(joinKey, `celery-taskset-meta-${gid}.s`);
      redis.disconnect();
    }
  });

  it('a revoked or expired header member fails the chord body with ChordError, as in Celery', async () => {
    const late = h.add.s(1, 1).set({ countdown: 3 });
    const revoked = track(await chord([late, h.add.s(2, 2)], h.tsum.s()).applyAsync());
    const member = (revoked.parent as GroupResult<number[]>).results[0]!.id;
    await h.client.revoke(member);
    const error = await revoked
      .get({ timeout: 20_000, followParents: false })
      .catch((e: unknown) => e);
    expect((error as RemoteTaskError).excType).toBe('ChordError');
    expect((error as Error).message).toContain(
      `Dependency ${member} raised TaskRevokedError('revoked')`,
    );

    const stale = h.add.s(1, 1).set({ expires: new Date(Date.now() - 1000) });
    const expired = track(await chord([h.add.s(2, 2), stale], h.tsum.s()).applyAsync());
    const failure = await expired
      .get({ timeout: 20_000, followParents: false })
      .catch((e: unknown) => e);
    expect((failure as RemoteTaskError).excType).toBe('ChordError');
    expect((failure as Error).message).toContain("raised TaskRevokedError('expired')");
  });

  it('a header member revoked with terminate while running fails the chord body', async () => {
    const nap = h.client.signature<number>('interop.nap', [30_000]);
    const result = track(await chord([nap, h.add.s(2, 2)], h.tsum.s()).applyAsync());
    const member = (result.parent as GroupResult<number[]>).results[0] as AsyncResult<number>;
    await expect.poll(() => member.state(), { timeout: 15_000 }).toBe('STARTED');
    await h.client.revoke(member.id, { terminate: true });
    const error = await result
      .get({ timeout: 20_000, followParents: false })
      .catch((e: unknown) => e);
    expect((error as RemoteTaskError).excType).toBe('ChordError');
    expect((error as Error).message).toContain(
      `Dependency ${member.id} raised TaskRevokedError('terminated')`,
    );
  });
});
