import { randomUUID } from 'node:crypto';
import { type INestApplicationContext, Logger } from '@nestjs/common';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { beatRuns, BeatFixtureModule } from '../__fixtures__/beat.fixture.js';
import { createApp } from '../__fixtures__/create-app.js';
import type { ScheduleDefinition } from '../contracts/schedule-store.interface.js';
import { TaskQueueBeatModule } from '../task-queue-beat.module.js';
import { MemoryScheduleStore } from '../transports/memory/memory.schedule-store.js';

const apps: INestApplicationContext[] = [];
const stores: MemoryScheduleStore[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
  for (const store of stores.splice(0)) await store.close();
  beatRuns.length = 0;
  vi.restoreAllMocks();
});

const adhoc = (name: string, schedule: ScheduleDefinition['schedule']): ScheduleDefinition => ({
  name,
  task: 'fixture.adhoc',
  schedule,
  args: [],
  kwargs: {},
  enabled: true,
  source: 'api',
});

describe('a stored schedule the beat cannot plan', () => {
  it('is logged and left aside, and the other schedules due with it keep firing', async () => {
    const error = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const shared = randomUUID();
    const store = new MemoryScheduleStore(shared);
    stores.push(store);
    const now = Date.now();
    // Written by hand, an older version or another tool: not valid (no validation on this path).
    await store.save(adhoc('broken-cron', { cron: 'every tuesday' }), state(now));
    await store.save(adhoc('broken-zone', { cron: '* * * * *', tz: 'Mars/Olympus' }), state(now));
    await store.save(adhoc('fine', { every: 0.2 }), state(now));
    const app = await createApp(
      { broker: `memory://${shared}`, resultBackend: `memory://${shared}` },
      [
        BeatFixtureModule,
        TaskQueueBeatModule.forRoot({ store, leaseMs: 300, renewMs: 50, syncDecorators: false }),
      ],
    );
    apps.push(app);
    await expect
      .poll(() => beatRuns.filter((run) => run.task === 'fixture.adhoc').length, { timeout: 5000 })
      .toBeGreaterThanOrEqual(3);
    const lines = error.mock.calls.map((call) => String(call[0]));
    expect(lines).toContainEqual(expect.stringMatching(/schedule broken-cron.*every tuesday/i));
    expect(lines).toContainEqual(expect.stringMatching(/schedule broken-zone.*Mars\/Olympus/));
    // Once per broken row, not once per tick.
    expect(lines.filter((line) => line.includes('broken-cron'))).toHaveLength(1);
  });
});

function state(nextFireAt: number) {
  return { nextFireAt, lastRunAt: null, lastTaskId: null, totalRuns: 0, rev: 0 };
}
