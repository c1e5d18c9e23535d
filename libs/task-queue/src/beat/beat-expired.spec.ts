import { randomUUID } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { afterEach, describe, expect, it } from 'vitest';
import { beatRuns, BeatFixtureModule } from '../__fixtures__/beat.fixture.js';
import { createApp } from '../__fixtures__/create-app.js';
import type { ScheduleDefinition } from '../contracts/schedule-store.interface.js';
import { TaskQueueBeatModule } from '../task-queue-beat.module.js';
import { MemoryScheduleStore } from '../transports/memory/memory.schedule-store.js';
import { BeatEvents, type BeatSkippedEvent } from './beat-events.js';
import { BeatService } from './beat.service.js';
import { beatTaskId } from './task-id.js';

const apps: INestApplicationContext[] = [];
const stores: MemoryScheduleStore[] = [];

afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
  for (const store of stores.splice(0)) await store.close();
  beatRuns.length = 0;
});

const hourly = (name: string, extra: Partial<ScheduleDefinition> = {}): ScheduleDefinition => ({
  name,
  task: 'fixture.adhoc',
  schedule: { every: 3600 },
  args: [],
  kwargs: {},
  enabled: true,
  source: 'api',
  ...extra,
});

describe('a new leader and the fires an earlier leader claimed', () => {
  it('publishes the pending fires still valid and drops (as skipped) those past their expiry', async () => {
    const shared = randomUUID();
    const store = new MemoryScheduleStore(shared);
    stores.push(store);
    const now = Date.now();
    const late = now - 5000;
    await store.save(hourly('expiring', { expires: 1 }), emptyState(now + 3_600_000));
    await store.save(hourly('lasting'), emptyState(now + 3_600_000));
    // A leader claims a fire of each 5 s ago, then dies before publishing them.
    const token = (await store.acquireLease('dead', 50))!;
    const claims = await Promise.all(
      ['expiring', 'lasting'].map(async (name) => {
        const { state } = (await store.get(name))!;
        const fire = { name, taskId: beatTaskId(name, late), scheduledAt: late };
        return { name, rev: state.rev, state: { ...state, rev: state.rev + 1 }, fires: [fire] };
      }),
    );
    expect(await store.claim({ owner: 'dead', token }, claims)).toEqual([true, true]);
    await new Promise((resolve) => setTimeout(resolve, 60)); // its lease runs out

    const app = await createApp(
      { broker: `memory://${shared}`, resultBackend: `memory://${shared}` },
      [
        BeatFixtureModule,
        TaskQueueBeatModule.forRoot({ store, enabled: false, leaseMs: 300, renewMs: 50 }),
      ],
    );
    apps.push(app);
    const skipped: BeatSkippedEvent[] = [];
    app
      .get(BeatEvents)
      .on('skipped')
      .subscribe((event) => skipped.push(event));
    app.get(BeatService).start();
    await expect
      .poll(() => beatRuns.map((run) => run.id), { timeout: 5000 })
      .toContain(beatTaskId('lasting', late));
    await expect.poll(() => store.pending(), { timeout: 5000 }).toEqual([]);
    expect(beatRuns.map((run) => run.id)).not.toContain(beatTaskId('expiring', late));
    expect(skipped).toContainEqual(
      expect.objectContaining({ name: 'expiring', count: 1, reason: 'expired' }),
    );
  });
});

function emptyState(nextFireAt: number) {
  return { nextFireAt, lastRunAt: null, lastTaskId: null, totalRuns: 0, rev: 0 };
}
