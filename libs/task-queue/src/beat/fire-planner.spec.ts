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
