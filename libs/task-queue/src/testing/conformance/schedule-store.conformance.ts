import { randomUUID } from 'node:crypto';
import { firstValueFrom, filter, take, timeout } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import type {
  ScheduleDefinition,
  ScheduleState,
  ScheduleStore,
} from '../../contracts/schedule-store.interface.js';

export interface ScheduleStoreConformanceOptions {
  /** Make a store; stores made in one test must share state (two beats, one store). */
  create(): Promise<ScheduleStore> | ScheduleStore;
}

function definition(name: string, every = 1): ScheduleDefinition {
  return {
    name,
    task: 'conformance.tick',
    schedule: { every },
    args: [1],
    kwargs: {},
    enabled: true,
    source: 'api',
  };
}

function state(nextFireAt: number | null, rev = 0): ScheduleState {
  return { nextFireAt, lastRunAt: null, lastTaskId: null, totalRuns: 0, rev };
}

/** The contract every beat schedule store must honour. */
export function describeScheduleStoreConformance(
  name: string,
  options: ScheduleStoreConformanceOptions,
): void {
  describe(`schedule store conformance: ${name}`, () => {
    const opened: ScheduleStore[] = [];
    const names: string[] = [];
    const open = async (): Promise<ScheduleStore> => {
      const store = await options.create();
      await store.connect();
      opened.push(store);
      return store;
    };
    const unique = (): string => {
      const n = `conf-${randomUUID()}`;
      names.push(n);
      return n;
    };

    afterEach(async () => {
      const cleaner = opened[0];
      if (cleaner) for (const n of names.splice(0)) await cleaner.remove(n).catch(() => undefined);
      for (const store of opened.splice(0).reverse()) await store.close().catch(() => undefined);
    });

    it('saves, reads back, lists and removes a schedule', async () => {
      const store = await open();
      const n = unique();
      expect(await store.get(n)).toBeNull();
      expect(await store.save(definition(n), state(1000))).toBe(true);
      const stored = await store.get(n);
      expect(stored?.definition).toEqual(definition(n));
      expect(stored?.state).toMatchObject({ nextFireAt: 1000, totalRuns: 0 });
      expect(stored!.state.rev).toBeGreaterThan(0);
      expect((await store.list()).some((s) => s.definition.name === n)).toBe(true);
      expect(await store.remove(n)).toBe(true);
      expect(await store.get(n)).toBeNull();
      expect(await store.remove(n)).toBe(false);
    });

    it('bumps the revision on every save and keeps an equal definition with keepIfSame', async () => {
      const store = await open();
      const n = unique();
      await store.save(definition(n), state(1000));
      const first = (await store.get(n))!.state.rev;
      expect(await store.save(definition(n), state(5000), { keepIfSame: true })).toBe(false);
      expect((await store.get(n))!.state).toMatchObject({ nextFireAt: 1000, rev: first });
      expect(await store.save(definition(n, 2), state(2000), { keepIfSame: true })).toBe(true);
      expect((await store.get(n))!.state).toMatchObject({ nextFireAt: 2000, rev: first + 1 });
    });

    it('saves compare-and-set with ifRev: a write from a stale revision is refused', async () => {
      const [a, b] = [await open(), await open()];
      const n = unique();
      // ifRev 0: create only.
      expect(await a.save(definition(n), state(1000), { ifRev: 0 })).toBe(true);
      expect(await b.save(definition(n, 5), state(1000), { ifRev: 0 })).toBe(false);
      const read = (await a.get(n))!;
      // Two editors read the same revision; the second write loses and changes nothing.
      const paused = { ...read.definition, enabled: false };
      expect(await a.save(paused, state(null), { ifRev: read.state.rev })).toBe(true);
      const edited = { ...read.definition, args: [2] };
      expect(await b.save(edited, state(1000), { ifRev: read.state.rev })).toBe(false);
      const after = (await b.get(n))!;
      expect(after.definition).toEqual(paused);
      expect(after.state).toMatchObject({ nextFireAt: null, rev: read.state.rev + 1 });
      // A claim advances the revision: an edit planned before it is refused too.
      const owner = `owner-${randomUUID()}`;
      let token: number | null = null;
      for (let i = 0; i < 40 && token === null; i++) {
        token = await a.acquireLease(owner, 2000);
        if (token === null) await new Promise((r) => setTimeout(r, 100));
      }
      const lease = { owner, token: token! };
      const rev = after.state.rev;
      const claimed = { ...state(3000), totalRuns: 1, lastRunAt: 2000, rev: rev + 1 };
      expect(await a.claim(lease, [{ name: n, rev, state: claimed, fires: [] }])).toEqual([true]);
      expect(await b.save(edited, state(1000), { ifRev: rev })).toBe(false);
      expect((await b.get(n))!.state).toMatchObject({ totalRuns: 1, lastRunAt: 2000 });
      // A schedule removed meanwhile is not written back by a stale edit.
      await a.remove(n);
      expect(await b.save(edited, state(1000), { ifRev: rev + 1 })).toBe(false);
      expect(await b.get(n)).toBeNull();
      await a.releaseLease(lease);
    });

    it('announces edits to every store instance', async () => {
      const [a, b] = [await open(), await open()];
      const n = unique();
      const seen = firstValueFrom(
        b.changes.pipe(
          filter((x) => x === n),
          take(1),
          timeout(2000),
        ),
      );
      await a.save(definition(n), state(1000));
      expect(await seen).toBe(n);
    });

    it('gives the lease to one owner at a time, with a larger token on each take', async () => {
      const [a, b] = [await open(), await open()];
      const one = `owner-${randomUUID()}`;
      const two = `owner-${randomUUID()}`;
      // Another test of this suite (or a crashed one) may hold it: wait it out.
      let token: number | null = null;
      for (let i = 0; i < 40 && token === null; i++) {
        token = await a.acquireLease(one, 300);
        if (token === null) await new Promise((r) => setTimeout(r, 100));
      }
      expect(token).not.toBeNull();
      expect(await b.acquireLease(two, 300)).toBeNull();
      expect(await a.acquireLease(one, 300)).toBe(token);
      await a.releaseLease({ owner: one, token: token! });
      const second = await b.acquireLease(two, 300);
      expect(second).toBeGreaterThan(token!);
      await b.releaseLease({ owner: two, token: second! });
    });

    it('an expired lease is taken over and the old holder can no longer claim', async () => {
      const [a, b] = [await open(), await open()];
      const n = unique();
      await a.save(definition(n), state(1000));
      const rev = (await a.get(n))!.state.rev;
      const one = `owner-${randomUUID()}`;
      let token: number | null = null;
      for (let i = 0; i < 40 && token === null; i++) {
        token = await a.acquireLease(one, 200);
        if (token === null) await new Promise((r) => setTimeout(r, 100));
      }
      expect(token).not.toBeNull();
      let other: number | null = null;
      const two = `owner-${randomUUID()}`;
      for (let i = 0; i < 40 && other === null; i++) {
        await new Promise((r) => setTimeout(r, 100));
        other = await b.acquireLease(two, 5000);
      }
      expect(other).toBeGreaterThan(token!);
      const fire = { name: n, taskId: randomUUID(), scheduledAt: 1000 };
      const claim = { name: n, rev, state: { ...state(2000), rev: rev + 1 }, fires: [fire] };
      expect(await a.claim({ owner: one, token: token! }, [claim])).toBeNull();
      expect((await b.get(n))!.state.nextFireAt).toBe(1000);
      expect(await b.claim({ owner: two, token: other! }, [claim])).toEqual([true]);
      await b.releaseLease({ owner: two, token: other! });
    });

    it('claims only from the planned revision and records pending fires until confirmed', async () => {
      const store = await open();
      const [n, m] = [unique(), unique()];
      await store.save(definition(n), state(1000));
      await store.save(definition(m), state(1000));
      const revN = (await store.get(n))!.state.rev;
      const revM = (await store.get(m))!.state.rev;
      const owner = `owner-${randomUUID()}`;
      let token: number | null = null;
      for (let i = 0; i < 40 && token === null; i++) {
        token = await store.acquireLease(owner, 2000);
        if (token === null) await new Promise((r) => setTimeout(r, 100));
      }
      const lease = { owner, token: token! };
      const fires = [1000, 2000].map((at) => ({ name: n, taskId: randomUUID(), scheduledAt: at }));
      const applied = await store.claim(lease, [
        {
          name: n,
          rev: revN,
          state: { ...state(3000), totalRuns: 2, rev: revN + 1 },
          fires,
        },
        { name: m, rev: revM + 7, state: state(9999), fires: [] },
      ]);
      expect(applied).toEqual([true, false]);
      expect((await store.get(n))!.state).toMatchObject({
        nextFireAt: 3000,
        totalRuns: 2,
        rev: revN + 1,
      });
      expect((await store.get(m))!.state.nextFireAt).toBe(1000);
      const pending = (await store.pending()).filter((f) => f.name === n);
      expect(pending.map((f) => f.taskId).sort()).toEqual(fires.map((f) => f.taskId).sort());
      await store.confirm(fires);
      expect((await store.pending()).filter((f) => f.name === n)).toEqual([]);
      // A second claim from the old revision is stale.
      expect(
        await store.claim(lease, [{ name: n, rev: revN, state: state(1), fires: [] }]),
      ).toEqual([false]);
      await store.releaseLease(lease);
    });
  });
}
