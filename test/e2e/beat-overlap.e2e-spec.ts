import { Injectable, type INestApplicationContext, Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  BeatEvents,
  type BeatFiredEvent,
  type BeatSkippedEvent,
  BeatService,
  ConfigurationError,
  Schedules,
  Task,
  TaskQueueBeatModule,
  TaskQueueModule,
} from 'celeriac';
import { uniqueName } from '../support/interop-processes.js';
import { deleteKeys, deleteResults, REDIS_URL } from '../support/redis-test-server.js';

const prefix = `test:beat:${uniqueName('overlap')}:`;
const queue = uniqueName('beat-overlap');
/** A queue no worker consumes: its messages are as good as lost. */
const nowhere = uniqueName('beat-overlap-nowhere');
const starts: number[] = [];
const ends: number[] = [];

@Injectable()
class OverlapTasks {
  @Task('beat_overlap.slow')
  async slow(): Promise<void> {
    starts.push(Date.now());
    await new Promise((resolve) => setTimeout(resolve, 800));
    ends.push(Date.now());
  }

  @Task('beat_overlap.quiet', { ignoreResult: true })
  quiet(): void {}
}

/**
 * Overlap `skip` with a real worker, a Redis store and a Redis result backend: a slow task's
 * runs never overlap; a task that ignores results is refused; a run never seen finished (its
 * message lost) stops the schedule only for `overlapTimeout`, with a warning.
 */
describe('beat overlap skip (Redis, real worker)', () => {
  let app: INestApplicationContext;
  const fired: BeatFiredEvent[] = [];
  const skipped: BeatSkippedEvent[] = [];

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        TaskQueueModule.forRoot({
          broker: REDIS_URL,
          resultBackend: REDIS_URL,
          defaultQueue: queue,
          worker: { queues: [queue], concurrency: 4, banner: false },
          events: { enabled: false },
        }),
        TaskQueueBeatModule.forRoot({ keyPrefix: prefix, renewMs: 100, leaseMs: 1000 }),
      ],
      providers: [OverlapTasks],
    }).compile();
    app = await moduleRef.init();
    app
      .get(BeatEvents)
      .on('fired')
      .subscribe((e) => fired.push(e));
    app
      .get(BeatEvents)
      .on('skipped')
      .subscribe((e) => skipped.push(e));
    const end = Date.now() + 10_000;
    while (!app.get(BeatService).isLeader && Date.now() < end) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }, 300_000);

  afterAll(async () => {
    await app?.close();
    await deleteResults(REDIS_URL, new Set(fired.map((e) => e.taskId)));
    await deleteKeys(REDIS_URL, prefix, queue, nowhere, `_kombu.binding.${queue}`);
    await deleteKeys(REDIS_URL, `_kombu.binding.${nowhere}`);
  });

  it('refuses a task that ignores results', async () => {
    const add = app
      .get(Schedules)
      .add(`${prefix}quiet`, 'beat_overlap.quiet', { every: 1 }, { overlap: 'skip' });
    await expect(add).rejects.toThrow(ConfigurationError);
    await expect(add).rejects.toThrow(/ignoreResult/);
  });

  it('never starts a run while the previous one is unfinished', async () => {
    const name = `${prefix}slow`;
    await app.get(Schedules).add(name, 'beat_overlap.slow', { every: 0.2 }, { overlap: 'skip' });
    await expect.poll(() => ends.length, { timeout: 15_000 }).toBeGreaterThanOrEqual(3);
    await app.get(Schedules).remove(name);
    for (let i = 1; i < starts.length; i++) {
      expect(starts[i]!).toBeGreaterThanOrEqual(ends[i - 1]!);
    }
    expect(skipped.filter((e) => e.name === name && e.reason === 'overlap').length).toBeGreaterThan(
      2,
    );
  });

  it('a lost run blocks the schedule only for overlapTimeout, with a warning', async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn');
    const name = `${prefix}lost`;
    await app.get(Schedules).add(
      name,
      'beat_overlap.slow',
      { every: 0.2 },
      {
        queue: nowhere,
        overlap: 'skip',
        overlapTimeout: 1,
      },
    );
    await expect
      .poll(() => fired.filter((e) => e.name === name).length, { timeout: 15_000 })
      .toBeGreaterThanOrEqual(3);
    await app.get(Schedules).remove(name);
    // About 1 s apart (the wait counts from the claim, a little before a publish), not 0.2 s.
    const at = fired.filter((e) => e.name === name).map((e) => e.publishedAt);
    for (let i = 1; i < at.length; i++) expect(at[i]! - at[i - 1]!).toBeGreaterThanOrEqual(700);
    const mine = skipped.filter((e) => e.name === name);
    expect(mine.length).toBeGreaterThan(2);
    expect(mine.every((e) => e.reason === 'overlap' && e.previous?.state === 'PENDING')).toBe(true);
    const warned = warn.mock.calls.map((c) => String(c[0])).filter((m) => m.includes(name));
    expect(warned.length).toBeGreaterThanOrEqual(2);
    expect(warned[0]).toMatch(
      /still PENDING \d+s after it was published, past its overlapTimeout \(1s\)/,
    );
    warn.mockRestore();
  });
});
