import { randomUUID } from 'node:crypto';
import {
  type INestApplicationContext,
  Injectable,
  Logger,
  Module,
  type ModuleMetadata,
} from '@nestjs/common';
import { Periodic } from './periodic.decorator.js';
import { Task } from '../tasks/task.decorator.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { beatRuns, BeatFixtureModule, until } from '../__fixtures__/beat.fixture.js';
import { createApp } from '../__fixtures__/create-app.js';
import { TaskQueueBeatModule } from '../task-queue-beat.module.js';
import { BeatEvents, type BeatLeaderEvent } from './beat-events.js';
import { BeatService } from './beat.service.js';
import { Schedules } from './schedules.service.js';
import { beatTaskId } from './task-id.js';

const apps: INestApplicationContext[] = [];

async function cluster(size: number): Promise<INestApplicationContext[]> {
  const shared = randomUUID();
  const made: INestApplicationContext[] = [];
  for (let i = 0; i < size; i++) {
    const app = await createApp(
      {
        broker: `memory://${shared}`,
        resultBackend: `memory://${shared}`,
        worker: { enabled: i === 0 },
      },
      [
        BeatFixtureModule,
        TaskQueueBeatModule.forRoot({
          store: `memory://${shared}`,
          leaseMs: 300,
          renewMs: 50,
        }),
      ],
    );
    made.push(app);
    apps.push(app);
  }
  return made;
}

const leaders = (list: INestApplicationContext[]): INestApplicationContext[] =>
  list.filter((app) => app.get(BeatService).isLeader);

afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
  beatRuns.length = 0;
});

describe('BeatService', () => {
  it('hands the lease back at shutdown with a log line, not a lost-leadership warning', async () => {
    const [app] = await cluster(1);
    await until(() => app!.get(BeatService).isLeader);
    const warn = vi.spyOn(Logger.prototype, 'warn');
    const log = vi.spyOn(Logger.prototype, 'log');
    try {
      await app!.close();
      const lines = (spy: typeof warn) =>
        spy.mock.calls.map(([message]: unknown[]) => String(message));
      expect(lines(warn).filter((line) => line.includes('no longer the leader'))).toEqual([]);
      expect(
        lines(log).filter((line) => line.includes('handed the leader lease back')),
      ).toHaveLength(1);
    } finally {
      warn.mockRestore();
      log.mockRestore();
    }
  });

  it('one of three instances leads and each fire runs once, with its deterministic id and header', async () => {
    const list = await cluster(3);
    await until(() => beatRuns.filter((r) => r.task === 'fixture.tick').length >= 5);
    expect(leaders(list)).toHaveLength(1);
    const ticks = beatRuns.filter((r) => r.task === 'fixture.tick');
    expect(new Set(ticks.map((r) => r.id)).size).toBe(ticks.length);
    expect(ticks.every((r) => r.header === 'fixture.tick')).toBe(true);
    // Each id is the uuid5 of a 200 ms instant.
    const slot = (id: string): number | undefined => {
      const base = Math.floor(Date.now() / 200) * 200;
      for (let t = base; t > base - 10_000; t -= 200)
        if (beatTaskId('fixture.tick', t) === id) return t;
      return undefined;
    };
    expect(ticks.every((r) => slot(r.id) !== undefined)).toBe(true);
  });

  it('fails over when the leader stops, without missing or repeating a fire', async () => {
    const list = await cluster(3);
    await until(() => leaders(list).length === 1);
    const events: BeatLeaderEvent[] = [];
    for (const app of list)
      app
        .get(BeatEvents)
        .on('leader')
        .subscribe((e) => events.push(e));
    await until(() => beatRuns.length >= 3);
    const leader = leaders(list)[0]!;
    // Stop competing without giving the lease back: a crash, as far as the others can tell.
    (leader.get(BeatService) as unknown as { lease: { stopped: boolean } }).lease.stopped = true;
    const before = beatRuns.length;
    await until(() => leaders(list).filter((app) => app !== leader).length === 1);
    await until(() => beatRuns.length >= before + 5);
    const ids = beatRuns.filter((r) => r.task === 'fixture.tick').map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    // No gap: every 200 ms slot between the first and the last fire ran.
    const slots = new Map<string, number>();
    const now = Math.floor(Date.now() / 200) * 200;
    for (let t = now - 20_000; t <= now + 400; t += 200)
      slots.set(beatTaskId('fixture.tick', t), t);
    const ran = ids.map((id) => slots.get(id)!).sort((a, b) => a - b);
    for (let i = 1; i < ran.length; i++) expect(ran[i]! - ran[i - 1]!).toBe(200);
    expect(events.some((e) => e.leader)).toBe(true);
  });

  it('applies an edit made on another instance, and pauses, resumes, triggers and removes', async () => {
    const list = await cluster(2);
    await until(() => leaders(list).length === 1);
    const follower = list.find((app) => !app.get(BeatService).isLeader)!;
    const schedules = follower.get(Schedules);
    const added = await schedules.add('adhoc', 'fixture.adhoc', { every: 0.1 });
    expect(added.nextFireAt).toBeInstanceOf(Date);
    await until(() => beatRuns.filter((r) => r.task === 'fixture.adhoc').length >= 2);
    await schedules.pause('adhoc');
    expect((await schedules.get('adhoc'))?.enabled).toBe(false);
    const paused = beatRuns.filter((r) => r.task === 'fixture.adhoc').length;
    const id = await schedules.trigger('adhoc');
    await until(() => beatRuns.some((r) => r.id === id));
    expect(beatRuns.filter((r) => r.task === 'fixture.adhoc').length).toBe(paused + 1);
    await schedules.resume('adhoc');
    await until(() => beatRuns.filter((r) => r.task === 'fixture.adhoc').length >= paused + 3);
    const listed = await schedules.list();
    expect(listed.map((s) => s.name)).toEqual(expect.arrayContaining(['adhoc', 'fixture.tick']));
    expect(listed.find((s) => s.name === 'adhoc')!.totalRuns).toBeGreaterThanOrEqual(3);
    expect(await schedules.remove('adhoc')).toBe(true);
    expect(await schedules.get('adhoc')).toBeNull();
  });

  it('runs a clocked one-off once', async () => {
    const list = await cluster(1);
    const schedules = list[0]!.get(Schedules);
    await schedules.once('one-off', 'fixture.adhoc', new Date(Date.now() + 100));
    await until(() => beatRuns.some((r) => r.task === 'fixture.adhoc'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(beatRuns.filter((r) => r.task === 'fixture.adhoc')).toHaveLength(1);
    expect((await schedules.get('one-off'))!.nextFireAt).toBeNull();
  });

  it('runs a one-off again when it is given a new instant, not when re-added unchanged', async () => {
    const list = await cluster(1);
    const schedules = list[0]!.get(Schedules);
    const adhocRuns = () => beatRuns.filter((r) => r.task === 'fixture.adhoc').length;
    const first = new Date(Date.now() + 100);
    await schedules.once('launch', 'fixture.adhoc', first);
    await until(() => adhocRuns() === 1);
    await expect.poll(async () => (await schedules.get('launch'))!.nextFireAt).toBeNull();
    // The same instant again: it already ran, so it stays finished.
    expect((await schedules.once('launch', 'fixture.adhoc', first)).nextFireAt).toBeNull();
    // Postponed to a new instant (add, or update of the schedule): it runs then.
    const second = new Date(Date.now() + 100);
    expect((await schedules.once('launch', 'fixture.adhoc', second)).nextFireAt).toEqual(second);
    await until(() => adhocRuns() === 2);
    await expect.poll(async () => (await schedules.get('launch'))!.nextFireAt).toBeNull();
    const third = Date.now() + 100;
    const updated = await schedules.update('launch', { schedule: { at: third } });
    expect(updated.nextFireAt?.getTime()).toBe(third);
    await until(() => adhocRuns() === 3);
    expect((await schedules.get('launch'))!.totalRuns).toBe(3);
  });

  it('keeps a @Periodic schedule paused when an app boots again, even with a changed definition', async () => {
    const shared = randomUUID();
    const boot = (imports: ModuleMetadata['imports']) =>
      createApp({ broker: `memory://${shared}`, worker: { enabled: false } }, [
        ...(imports ?? []),
        TaskQueueBeatModule.forRoot({ store: `memory://${shared}`, enabled: false }),
      ]);
    const first = await boot([BeatFixtureModule]);
    apps.push(first);
    await first.get(Schedules).pause('fixture.tick');
    // A rolling restart: the same code boots again.
    const second = await boot([BeatFixtureModule]);
    apps.push(second);
    expect(await second.get(Schedules).get('fixture.tick')).toMatchObject({
      enabled: false,
      nextFireAt: null,
    });
    // A deploy that changes the schedule: the new definition is written, still paused.
    const third = await boot([ChangedTickModule]);
    apps.push(third);
    const changed = await third.get(Schedules).get('fixture.tick');
    expect(changed).toMatchObject({ enabled: false, schedule: { every: 0.5 } });
    // Resumed at runtime, it stays resumed across boots too.
    await third.get(Schedules).resume('fixture.tick');
    const fourth = await boot([ChangedTickModule]);
    apps.push(fourth);
    expect(await fourth.get(Schedules).get('fixture.tick')).toMatchObject({ enabled: true });
  });
});

@Injectable()
class ChangedTickTasks {
  @Periodic({ every: 0.5 }, { name: 'fixture.tick' })
  @Task('fixture.tick')
  tick(): void {}
}

@Module({ providers: [ChangedTickTasks] })
class ChangedTickModule {}
