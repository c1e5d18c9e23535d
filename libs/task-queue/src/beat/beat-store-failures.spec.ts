import { randomUUID } from 'node:crypto';
import { type INestApplicationContext, Logger } from '@nestjs/common';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { beatRuns, BeatFixtureModule, until } from '../__fixtures__/beat.fixture.js';
import { createApp } from '../__fixtures__/create-app.js';
import { TaskQueueBeatModule } from '../task-queue-beat.module.js';
import { MemoryScheduleStore } from '../transports/memory/memory.schedule-store.js';
import type {
  BeatLease,
  ScheduleClaim,
  StoredSchedule,
} from '../contracts/schedule-store.interface.js';

// The beat while its schedule store fails: claims and reads that reject are retried.
const apps: INestApplicationContext[] = [];

afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
  beatRuns.length = 0;
  vi.restoreAllMocks();
});

describe('BeatService with a failing store', () => {
  it('keeps firing after a claim fails (a store error), logging it and retrying', async () => {
    const error = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const log = vi.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    const shared = randomUUID();
    let failures = 0;
    class FlakyStore extends MemoryScheduleStore {
      override claim(lease: BeatLease, claims: ScheduleClaim[]): Promise<boolean[] | null> {
        // The first two claims fail, as when the database drops the connection.
        if (failures < 2) {
          failures++;
          return Promise.reject(new Error('Connection terminated unexpectedly'));
        }
        return super.claim(lease, claims);
      }
    }
    const store = new FlakyStore(shared);
    const app = await createApp(
      { broker: `memory://${shared}`, resultBackend: `memory://${shared}` },
      [BeatFixtureModule, TaskQueueBeatModule.forRoot({ store, leaseMs: 300, renewMs: 50 })],
    );
    apps.push(app);
    await until(() => failures === 2);
    await until(() => beatRuns.filter((r) => r.task === 'fixture.tick').length >= 2);
    // Said once for the outage (not once per round), and its end once.
    expect(error.mock.calls.map((c) => String(c[0]))).toEqual([
      expect.stringMatching(
        /could not claim 1 due schedule\(s\).*Connection terminated unexpectedly.*Retrying in 50 ms/,
      ),
    ]);
    expect(log.mock.calls.map((c) => String(c[0]))).toContainEqual(
      expect.stringMatching(/Beat claims due schedules again after .* \(2 failed attempts\)/),
    );
    await store.close();
  });

  it('reads a schedule again when reading it after a refused claim fails', async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const shared = randomUUID();
    let refused = false;
    let failedReads = 0;
    class RacyStore extends MemoryScheduleStore {
      override claim(lease: BeatLease, claims: ScheduleClaim[]): Promise<boolean[] | null> {
        // The first claim loses to an edit (another revision) ...
        if (!refused) {
          refused = true;
          return Promise.resolve(claims.map(() => false));
        }
        return super.claim(lease, claims);
      }
      override get(name: string): Promise<StoredSchedule | null> {
        // ... and reading the schedule again fails once (the store is briefly unreachable).
        if (refused && failedReads === 0) {
          failedReads++;
          return Promise.reject(new Error('read ECONNRESET'));
        }
        return super.get(name);
      }
    }
    const store = new RacyStore(shared);
    const app = await createApp(
      { broker: `memory://${shared}`, resultBackend: `memory://${shared}` },
      [BeatFixtureModule, TaskQueueBeatModule.forRoot({ store, leaseMs: 300, renewMs: 50 })],
    );
    apps.push(app);
    await until(() => failedReads === 1);
    await until(() => beatRuns.filter((r) => r.task === 'fixture.tick').length >= 2);
    expect(warn.mock.calls.map((c) => String(c[0]))).toContainEqual(
      expect.stringMatching(
        /could not reload schedule fixture\.tick: .*read ECONNRESET.*Retrying in 50 ms/,
      ),
    );
    await store.close();
  });
});
