import { randomUUID } from 'node:crypto';
import { Injectable, type INestApplicationContext, Logger, Module } from '@nestjs/common';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { beatRuns, BeatFixtureModule } from '../__fixtures__/beat.fixture.js';
import { createApp } from '../__fixtures__/create-app.js';
import type { ScheduleStore } from '../contracts/schedule-store.interface.js';
import { ConfigurationError } from '../errors/configuration.error.js';
import { TaskQueueBeatModule } from '../task-queue-beat.module.js';
import { Task } from '../tasks/task.decorator.js';
import { SCHEDULE_STORE } from './beat.constants.js';
import { BeatEvents, type BeatFiredEvent, type BeatSkippedEvent } from './beat-events.js';
import { freshState } from './fire-planner.js';
import { Periodic } from './periodic.decorator.js';
import { toScheduleDefinition } from './schedule-definition.js';
import { Schedules } from './schedules.service.js';

const apps: INestApplicationContext[] = [];

@Injectable()
class QuietPeriodic {
  @Periodic({ every: 1 }, { overlap: 'skip' })
  @Task('overlap.quiet', { ignoreResult: true })
  quiet(): void {}
}

@Module({ providers: [QuietPeriodic] })
class QuietPeriodicModule {}

async function beatApp(results = true): Promise<INestApplicationContext> {
  const shared = randomUUID();
  const app = await createApp(
    { broker: `memory://${shared}`, resultBackend: results ? `memory://${shared}` : false },
    [
      BeatFixtureModule,
      TaskQueueBeatModule.forRoot({ store: `memory://${shared}`, leaseMs: 300, renewMs: 50 }),
    ],
  );
  apps.push(app);
  return app;
}

function watch(app: INestApplicationContext): {
  fired: BeatFiredEvent[];
  skipped: BeatSkippedEvent[];
} {
  const seen = { fired: [] as BeatFiredEvent[], skipped: [] as BeatSkippedEvent[] };
  app
    .get(BeatEvents)
    .on('fired')
    .subscribe((e) => seen.fired.push(e));
  app
    .get(BeatEvents)
    .on('skipped')
    .subscribe((e) => seen.skipped.push(e));
  return seen;
}

const runs = (task: string): number => beatRuns.filter((r) => r.task === task).length;

afterEach(async () => {
  vi.restoreAllMocks();
  for (const app of apps.splice(0)) await app.close();
  beatRuns.length = 0;
});

describe('overlap skip', () => {
  it('refuses a local task with ignoreResult, and any task without a result backend', async () => {
    const app = await beatApp();
    const schedules = app.get(Schedules);
    const quiet = schedules.add('quiet', 'fixture.quiet', { every: 1 }, { overlap: 'skip' });
    await expect(quiet).rejects.toThrow(ConfigurationError);
    await expect(quiet).rejects.toThrow(/ignoreResult.*overlap 'allow'/);
    await schedules.add('quiet', 'fixture.quiet', { every: 60 });
    await expect(schedules.update('quiet', { overlap: 'skip' })).rejects.toThrow(/ignoreResult/);
    await expect(schedules.pause('quiet')).resolves.toMatchObject({ enabled: false });

    const bare = (await beatApp(false)).get(Schedules);
    await expect(bare.add('py', 'python.task', { every: 1 }, { overlap: 'skip' })).rejects.toThrow(
      /needs a result backend/,
    );
    await expect(bare.add('py', 'python.task', { every: 1 })).resolves.toBeDefined();
  });

  it('fails the boot on a @Periodic with overlap skip on an ignoreResult task', async () => {
    const shared = randomUUID();
    const boot = createApp(
      {
        broker: `memory://${shared}`,
        resultBackend: `memory://${shared}`,
        worker: { enabled: false },
      },
      [
        QuietPeriodicModule,
        TaskQueueBeatModule.forRoot({ store: `memory://${shared}`, enabled: false }),
      ],
    );
    await expect(boot).rejects.toThrow(/schedule "overlap.quiet": overlap 'skip' cannot see/);
  });

  it('a beat without a result backend fires a stored skip schedule, warning once', async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn');
    const app = await beatApp(false);
    const definition = toScheduleDefinition(
      'tick',
      'fixture.adhoc',
      { every: 0.1 },
      { overlap: 'skip' },
      'api',
    );
    await app
      .get<ScheduleStore>(SCHEDULE_STORE)
      .save(definition, freshState(definition, Date.now()));
    await expect.poll(() => runs('fixture.adhoc'), { timeout: 5000 }).toBeGreaterThanOrEqual(3);
    const warned = warn.mock.calls.map((c) => String(c[0])).filter((m) => m.includes('"tick"'));
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatch(/no result backend: it fires without the overlap check/);
  });

  it('a run never seen finished blocks fires only until overlapTimeout, with a warning', async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn');
    const app = await beatApp();
    const seen = watch(app);
    // Stored as another process (CLI, a Python app) would: the ignoreResult task is not refused.
    const definition = toScheduleDefinition(
      'quiet',
      'fixture.quiet',
      { every: 0.1 },
      { overlap: 'skip', overlapTimeout: 0.5 },
      'api',
    );
    await app
      .get<ScheduleStore>(SCHEDULE_STORE)
      .save(definition, freshState(definition, Date.now()));
    await expect.poll(() => runs('fixture.quiet'), { timeout: 5000 }).toBeGreaterThanOrEqual(3);
    const skips = seen.skipped.filter((e) => e.name === 'quiet');
    expect(skips.length).toBeGreaterThan(0);
    expect(skips.every((e) => e.reason === 'overlap' && e.previous?.state === 'PENDING')).toBe(
      true,
    );
    // Each fire waited for the timeout: about 0.5 s apart (less a late publish), not 0.1 s.
    const fires = seen.fired.filter((e) => e.name === 'quiet').map((e) => e.publishedAt);
    for (let i = 1; i < fires.length; i++)
      expect(fires[i]! - fires[i - 1]!).toBeGreaterThanOrEqual(300);
    const warned = warn.mock.calls.map((c) => String(c[0])).find((m) => m.includes('"quiet"'));
    expect(warned).toMatch(
      /still PENDING .* past its overlapTimeout \(0\.5s\); counting it as finished/,
    );
    expect(warned).toMatch(/use overlap 'allow'/);
  });

  it('skips while a run is unfinished, and a FAILURE counts as finished', async () => {
    const app = await beatApp();
    const seen = watch(app);
    const schedules = app.get(Schedules);
    await schedules.add('slow', 'fixture.slow', { every: 0.1 }, { overlap: 'skip' });
    await schedules.add('failing', 'fixture.failing', { every: 0.1 }, { overlap: 'skip' });
    await expect.poll(() => runs('fixture.slow'), { timeout: 5000 }).toBeGreaterThanOrEqual(2);
    await expect.poll(() => runs('fixture.failing'), { timeout: 5000 }).toBeGreaterThanOrEqual(4);
    await schedules.remove('slow');
    await schedules.remove('failing');
    // The slow runs (500 ms) never overlapped: each started after the previous one ended.
    const starts = beatRuns.filter((r) => r.task === 'fixture.slow').map((r) => r.at);
    for (let i = 1; i < starts.length; i++)
      expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(490);
    expect(seen.skipped.some((e) => e.name === 'slow' && e.reason === 'overlap')).toBe(true);
  });
});
