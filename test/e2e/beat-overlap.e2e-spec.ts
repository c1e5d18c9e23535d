import { Injectable, type INestApplicationContext, Logger } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  BeatEvents,
  type BeatFiredEvent,
  type BeatSkippedEvent,
  BeatService,
  ConfigurationError,
  Schedules,
  Task,
  TaskClient,
  TaskQueueBeatModule,
} from 'celeriac';
import { uniqueName } from '../support/interop-processes.js';
import { deleteKeys, deleteResults, REDIS_URL } from '../support/redis-test-server.js';
import { createTaskQueueApp } from '../support/task-queue-app.js';

const prefix = `test:beat:${uniqueName('overlap')}:`;
const queue = uniqueName('beat-overlap');
/** A queue no worker consumes: its messages are as good as lost. */
const nowhere = uniqueName('beat-overlap-nowhere');
const starts: number[] = [];
const ends: number[] = [];
const hangs: number[] = [];

@Injectable()
class OverlapTasks {
  @Task('beat_overlap.slow')
  async slow(): Promise<void> {
    starts.push(Date.now());
    await new Promise((resolve) => setTimeout(resolve, 800));
    ends.push(Date.now());
  }

  @Task('beat_overlap.hang')
  async hang(): Promise<void> {
    hangs.push(Date.now());
    await new Promise((resolve) => setTimeout(resolve, 4000));
  }

  @Task('beat_overlap.quiet', { ignoreResult: true })
  quiet(): void {}
}

/**
 * Overlap `skip` with a real worker, a Redis store and a Redis result backend: a slow task's
 * runs never overlap; a task that ignores results is refused; a revoked run counts as finished;
 * a run never seen finished (its message lost) stops the schedule only for `overlapTimeout`,
 * with a warning.
 */
describe('beat overlap skip (Redis, real worker)', () => {
  let app: INestApplicationContext;
  const fired: BeatFiredEvent[] = [];
  const skipped: BeatSkippedEvent[] = [];

  beforeAll(async () => {
    app = await createTaskQueueApp(
      {
        broker: REDIS_URL,
        resultBackend: REDIS_URL,
        defaultQueue: queue,
        worker: { queues: [queue], concurrency: 4 },
        events: { enabled: false },
      },
      {
        imports: [TaskQueueBeatModule.forRoot({ keyPrefix: prefix, renewMs: 100, leaseMs: 1000 })],
        providers: [OverlapTasks],
      },
    );
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

  it('a revoked previous run counts as finished at once', async () => {
    const name = `${prefix}hang`;
    await app
      .get(Schedules)
      .add(name, 'beat_overlap.hang', { every: 0.2 }, { overlap: 'skip', overlapTimeout: 60 });
    await expect.poll(() => hangs.length, { timeout: 10_000 }).toBe(1);
    const first = fired.find((e) => e.name === name)!;
    await expect
      .poll(() => skipped.filter((e) => e.name === name).length, { timeout: 5000 })
      .toBeGreaterThan(0);
    const revokedAt = Date.now();
    await app.get(TaskClient).result(first.taskId).revoke({ terminate: true });
    await expect.poll(() => hangs.length, { timeout: 3000 }).toBe(2);
    await app.get(Schedules).remove(name);
    // Well before the 4 s run would have ended, and the 60 s overlapTimeout.
    expect(hangs[1]! - revokedAt).toBeLessThan(3000);
    expect(await app.get(TaskClient).result(first.taskId).state()).toBe('REVOKED');
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
