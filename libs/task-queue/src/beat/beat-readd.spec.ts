import { randomUUID } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { afterEach, describe, expect, it } from 'vitest';
import { beatRuns, BeatFixtureModule } from '../__fixtures__/beat.fixture.js';
import { createApp } from '../__fixtures__/create-app.js';
import type { StoredSchedule } from '../contracts/schedule-store.interface.js';
import { TaskQueueBeatModule } from '../task-queue-beat.module.js';
import { MemoryScheduleStore } from '../transports/memory/memory.schedule-store.js';
import { BeatService } from './beat.service.js';
import { Schedules } from './schedules.service.js';

const apps: INestApplicationContext[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
  beatRuns.length = 0;
});

/** The leader's store: its reads answer late (a slow network), so edits overtake them. */
class SlowReadStore extends MemoryScheduleStore {
  slow = false;
  override async get(name: string): Promise<StoredSchedule | null> {
    if (this.slow) await new Promise((resolve) => setTimeout(resolve, 50));
    return super.get(name);
  }
}

describe('a schedule removed and added again', () => {
  it('fires again, although its new revision is lower than the one the leader tracked', async () => {
    const shared = randomUUID();
    const leaderStore = new SlowReadStore(shared);
    const leader = await createApp(
      { broker: `memory://${shared}`, resultBackend: `memory://${shared}` },
      [
        BeatFixtureModule,
        TaskQueueBeatModule.forRoot({
          store: leaderStore,
          leaseMs: 300,
          renewMs: 50,
          syncDecorators: false,
        }),
      ],
    );
    apps.push(leader);
    await expect.poll(() => leader.get(BeatService).isLeader).toBe(true);
    const editor = await createApp({ broker: `memory://${shared}`, worker: { enabled: false } }, [
      BeatFixtureModule,
      TaskQueueBeatModule.forRoot({ store: `memory://${shared}`, enabled: false }),
    ]);
    apps.push(editor);
    const schedules = editor.get(Schedules);
    const runs = (): number => beatRuns.filter((run) => run.task === 'fixture.adhoc').length;
    await schedules.add('again', 'fixture.adhoc', { every: 0.1 });
    await expect.poll(runs, { timeout: 5000 }).toBeGreaterThanOrEqual(5); // revision 6 or so
    leaderStore.slow = true;
    await schedules.remove('again');
    await schedules.add('again', 'fixture.adhoc', { every: 0.1 }); // revision 1
    const before = runs();
    await expect.poll(runs, { timeout: 5000 }).toBeGreaterThanOrEqual(before + 3);
    await leaderStore.close();
  });
});
