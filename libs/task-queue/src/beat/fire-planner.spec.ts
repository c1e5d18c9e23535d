import { describe, expect, it } from 'vitest';
import type { ScheduleDefinition, ScheduleState } from '../contracts/schedule-store.interface.js';
import { FireHeap } from './fire-heap.js';
import { freshState, planFires } from './fire-planner.js';

const every = (seconds: number, extra: Partial<ScheduleDefinition> = {}): ScheduleDefinition => ({
  name: 's',
  task: 't',
  schedule: { every: seconds },
  args: [],
  kwargs: {},
  enabled: true,
  source: 'api',
  ...extra,
});
const state = (nextFireAt: number | null, totalRuns = 0): ScheduleState => ({
  nextFireAt,
  lastRunAt: null,
  lastTaskId: null,
  totalRuns,
  rev: 1,
});

describe('planFires', () => {
  it('publishes every missed fire inside the window with policy all, capped', () => {
    const plan = planFires(every(1), state(10_000), 15_500);
    expect(plan.fires).toEqual([10_000, 11_000, 12_000, 13_000, 14_000, 15_000]);
    expect(plan.next).toBe(16_000);
    const capped = planFires(every(1, { catchUp: { max: 2 } }), state(10_000), 15_500);
    expect(capped.fires).toEqual([14_000, 15_000]);
    expect(capped.skipped).toBe(4);
  });

  it('skips fires older than the window', () => {
    const plan = planFires(every(1, { catchUp: { window: 3 } }), state(0), 100_000);
    expect(plan.fires).toEqual([97_000, 98_000, 99_000, 100_000]);
    expect(plan.skipped).toBeGreaterThan(0);
  });

  it('once: only the newest; skip: only an on-time fire', () => {
    expect(
      planFires(every(1, { catchUp: { policy: 'once' } }), state(10_000), 15_500).fires,
    ).toEqual([15_000]);
    expect(
      planFires(every(1, { catchUp: { policy: 'skip' } }), state(10_000), 15_500).fires,
    ).toEqual([15_000]);
    expect(
      planFires(every(10, { catchUp: { policy: 'skip' } }), state(10_000), 15_500).fires,
    ).toEqual([]);
  });

  it('stops at maxRuns and endAt; honours startAt', () => {
    const limited = planFires(every(1, { maxRuns: 3 }), state(10_000, 1), 15_500);
    expect(limited).toMatchObject({ fires: [10_000, 11_000], next: null });
    expect(planFires(every(1, { endAt: 12_000 }), state(10_000), 15_500)).toMatchObject({
      fires: [10_000, 11_000, 12_000],
      next: null,
    });
    expect(freshState(every(1, { startAt: 50_500 }), 1_000).nextFireAt).toBe(50_500);
  });

  it('fires a clocked schedule once, even when late', () => {
    const at: ScheduleDefinition = { ...every(1), schedule: { at: 5_000 } };
    expect(freshState(at, 1_000_000).nextFireAt).toBe(5_000);
    expect(planFires(at, state(5_000), 1_000_000)).toMatchObject({ fires: [5_000], next: null });
    expect(freshState(at, 0, { ...state(null, 1) }).nextFireAt).toBeNull();
  });

  it('waits while nothing is due and a paused schedule has no next fire', () => {
    expect(planFires(every(1), state(20_000), 15_500)).toEqual({
      fires: [],
      next: 20_000,
      skipped: 0,
    });
    expect(freshState(every(1, { enabled: false }), 0).nextFireAt).toBeNull();
  });
});

describe('FireHeap', () => {
  it('pops due names in order, replaces and unschedules', () => {
    const heap = new FireHeap();
    heap.set('c', 30);
    heap.set('a', 10);
    heap.set('b', 20);
    heap.set('c', 5);
    heap.set('b', null);
    expect(heap.peek()).toBe(5);
    expect(heap.popDue(15)).toEqual(['c', 'a']);
    expect(heap.popDue(100)).toEqual([]);
    expect(heap.size).toBe(0);
  });

  it('keeps order over many random edits', () => {
    const heap = new FireHeap();
    const due = new Map<string, number>();
    for (let i = 0; i < 5000; i++) {
      const name = `s${i % 700}`;
      const value = Math.random() < 0.1 ? null : Math.floor(Math.random() * 10_000);
      heap.set(name, value);
      if (value === null) due.delete(name);
      else due.set(name, value);
    }
    const popped = heap.popDue(10_000);
    expect(popped.length).toBe(due.size);
    const values = popped.map((name) => due.get(name)!);
    expect(values).toEqual([...values].sort((a, b) => a - b));
  });
});

describe('planFires after an outage longer than the catch-up window', () => {
  const hour = 3_600_000;
  const now = Date.UTC(2026, 11, 6, 12);
  const cron = (expression: string): ScheduleDefinition => ({
    ...every(1),
    schedule: { cron: expression },
  });

  it('counts every fire it skips, not one for the whole outage', () => {
    // Down one hour, every 10 s: 354 fires older than 60 s, 7 inside the window.
    const plan = planFires(every(10), state(now - hour), now);
    expect(plan.fires).toHaveLength(7);
    expect(plan.skipped).toBe(354);
    const once = planFires(every(10, { catchUp: { policy: 'once' } }), state(now - hour), now);
    expect(once.skipped).toBe(354 + 6);
    const ended = planFires(every(10, { endAt: now - hour + 95_000 }), state(now - hour), now);
    expect(ended).toMatchObject({ fires: [], next: null, skipped: 10 });
  });

  it('counts the skipped fires of a cron schedule, estimating a long run from their spacing', () => {
    expect(planFires(cron('*/5 * * * *'), state(now - hour), now).skipped).toBe(12);
    expect(planFires(cron('* * * * * *'), state(now - hour), now)).toMatchObject({
      skipped: 3540,
    });
  });
});

describe('planFires with a long catch-up window', () => {
  const day = 86_400_000;
  const now = Date.UTC(2026, 11, 6, 12);
  const cron = (
    expression: string,
    extra: Partial<ScheduleDefinition> = {},
  ): ScheduleDefinition => ({
    ...every(1),
    schedule: { cron: expression },
    ...extra,
  });

  it('sends the newest fires after a month of a per-second cron, without walking them all', () => {
    const month = cron('* * * * * *', { catchUp: { window: 31 * 86_400, policy: 'once' } });
    const started = performance.now();
    const plan = planFires(month, state(now - 30 * day), now);
    const took = performance.now() - started;
    expect(plan.fires).toEqual([now]);
    expect(plan.next).toBe(now + 1000);
    // 30 days of seconds, less the one sent: an estimate, within a fraction of a percent.
    expect(Math.abs(plan.skipped - (30 * 86_400 - 1)) / (30 * 86_400)).toBeLessThan(0.001);
    // Walking 2.6 million fires takes minutes (the old cap of 100 000 alone took 8 s here);
    // the bounded walk takes a few hundred steps (well under 1 s, even on a loaded machine).
    expect(took).toBeLessThan(2000);
    const all = planFires(
      cron('* * * * * *', { catchUp: { window: 31 * 86_400, max: 3 } }),
      state(now - 30 * day),
      now,
    );
    expect(all.fires).toEqual([now - 2000, now - 1000, now]);
    expect(all.next).toBe(now + 1000);
  });

  it('finds the newest fire of a sparse cron far back in a long window', () => {
    // Weekdays 9-17 every second; now is a Sunday noon: the newest fire is Friday 17:59:59.
    const sunday = Date.UTC(2026, 11, 6, 12);
    const office = cron('* * 9-17 * * mon-fri', {
      catchUp: { window: 31 * 86_400, policy: 'once' },
    });
    const plan = planFires(office, state(sunday - 20 * day), sunday);
    expect(plan.fires).toEqual([Date.UTC(2026, 11, 4, 17, 59, 59)]);
    expect(plan.next).toBe(Date.UTC(2026, 11, 7, 9));
  });

  it('keeps the exact count of an every schedule over a long window', () => {
    const plan = planFires(
      every(1, { catchUp: { window: 31 * 86_400, policy: 'once' } }),
      state(now - 30 * day),
      now,
    );
    expect(plan).toMatchObject({ fires: [now], next: now + 1000, skipped: 30 * 86_400 });
  });
});

describe('planFires and expires', () => {
  it('does not send a missed fire whose expiry has passed, and counts it skipped', () => {
    const plan = planFires(every(10, { expires: 15 }), state(10_000), 44_000);
    // Fires 10, 20, 30, 40 s; at 44 s the first two expired (20 + 15 = 35 <= 44).
    expect(plan.fires).toEqual([30_000, 40_000]);
    expect(plan).toMatchObject({ skipped: 2, expired: 2 });
    expect(plan.next).toBe(50_000);
  });

  it('sends nothing when every due fire expired', () => {
    const plan = planFires(
      every(60, { expires: 5, catchUp: { policy: 'once' } }),
      state(0),
      50_000,
    );
    expect(plan).toEqual({ fires: [], next: 60_000, skipped: 1, expired: 1 });
    const clocked: ScheduleDefinition = { ...every(1, { expires: 5 }), schedule: { at: 5_000 } };
    expect(planFires(clocked, state(5_000), 10_000)).toMatchObject({ fires: [], next: null });
    expect(planFires(clocked, state(5_000), 9_999)).toMatchObject({ fires: [5_000] });
  });
});
