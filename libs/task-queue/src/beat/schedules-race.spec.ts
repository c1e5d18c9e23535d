import { randomUUID } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BeatFixtureModule } from '../__fixtures__/beat.fixture.js';
import { createApp } from '../__fixtures__/create-app.js';
import type { StoredSchedule } from '../contracts/schedule-store.interface.js';
import { TaskQueueBeatModule } from '../task-queue-beat.module.js';
import { MemoryScheduleStore } from '../transports/memory/memory.schedule-store.js';
import { Schedules } from './schedules.service.js';

const apps: INestApplicationContext[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

/** A memory store whose reads can run a step right after they answer (a racing writer). */
class RacyStore extends MemoryScheduleStore {
  afterRead?: (stored: StoredSchedule) => Promise<void>;

  override async get(name: string): Promise<StoredSchedule | null> {
    const stored = await super.get(name);
    const step = this.afterRead;
    this.afterRead = undefined;
    if (stored && step) await step(stored);
    return stored;
  }
}

async function setUp(): Promise<{ schedules: Schedules; store: RacyStore }> {
  const shared = randomUUID();
  const store = new RacyStore(shared);
  const app = await createApp({ broker: `memory://${shared}`, worker: { enabled: false } }, [
    BeatFixtureModule,
    TaskQueueBeatModule.forRoot({ store, enabled: false, syncDecorators: false }),
  ]);
  apps.push(app);
  return { schedules: app.get(Schedules), store };
}

describe('Schedules edits racing the leader and each other', () => {
  it('keeps a claim the leader made between the edit reading and writing the schedule', async () => {
    const { schedules, store } = await setUp();
    await schedules.add('race', 'fixture.adhoc', { every: 60 });
    const token = (await store.acquireLease('leader', 5000))!;
    const firedAt = Date.now();
    store.afterRead = async ({ state }) => {
      // The leader claims a fire while the edit is in flight.
      const next = { ...state, totalRuns: 1, lastRunAt: firedAt, lastTaskId: 'fire-1' };
      const claim = {
        name: 'race',
        rev: state.rev,
        state: { ...next, rev: state.rev + 1 },
        fires: [],
      };
      expect(await store.claim({ owner: 'leader', token }, [claim])).toEqual([true]);
    };
    const updated = await schedules.update('race', { args: [42] });
    const stored = (await store.get('race'))!;
    expect(stored.definition.args).toEqual([42]);
    expect(stored.state).toMatchObject({ totalRuns: 1, lastRunAt: firedAt, lastTaskId: 'fire-1' });
    expect(updated.totalRuns).toBe(1);
  });

  it('applies two concurrent edits of one schedule, losing neither', async () => {
    const { schedules, store } = await setUp();
    await schedules.add('both', 'fixture.adhoc', { every: 60 });
    await Promise.all([schedules.pause('both'), schedules.update('both', { args: [7] })]);
    const stored = (await store.get('both'))!;
    expect(stored.definition).toMatchObject({ enabled: false, args: [7] });
    expect(stored.state.nextFireAt).toBeNull();
  });

  it('does not move the next fire back onto a fire the leader already claimed', async () => {
    const { schedules, store } = await setUp();
    await schedules.add('early', 'fixture.adhoc', { every: 3600 });
    const { state } = (await store.get('early'))!;
    const due = state.nextFireAt!;
    // The leader claims the fire at `due` ahead of time (it claims a little before the instant,
    // or its clock is ahead of this instance's): lastRunAt is after now here.
    const token = (await store.acquireLease('leader', 5000))!;
    const claimed = {
      nextFireAt: due + 3_600_000,
      lastRunAt: due,
      lastTaskId: 'fire-1',
      totalRuns: 1,
      rev: state.rev + 1,
    };
    await store.claim({ owner: 'leader', token }, [
      { name: 'early', rev: state.rev, state: claimed, fires: [] },
    ]);
    const edited = await schedules.update('early', { args: [1] });
    expect(edited.nextFireAt!.getTime()).toBe(due + 3_600_000);
  });
});

describe('Schedules.add over a stored row the store cannot read', () => {
  it('replaces it (add is create-or-replace), not refused as a conflict', async () => {
    const { schedules, store } = await setUp();
    await schedules.add('garbled', 'fixture.adhoc', { every: 60 });
    // The row exists but reads as absent (a store skips a row whose JSON it cannot parse).
    const hidden = vi.spyOn(store, 'get').mockResolvedValue(null);
    const added = await schedules.add('garbled', 'fixture.adhoc', { every: 30 });
    hidden.mockRestore();
    expect(added.schedule).toEqual({ every: 30 });
    expect((await store.get('garbled'))!.definition.schedule).toEqual({ every: 30 });
  });
});
