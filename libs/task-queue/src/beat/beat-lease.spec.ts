import { Logger } from '@nestjs/common';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BeatLease, ScheduleStore } from '../contracts/schedule-store.interface.js';
import { BeatLeaseLoop } from './beat-lease.js';

/** A store whose lease calls answer only when the test says so. */
function stallingStore(): {
  store: ScheduleStore;
  calls: number;
  answer(token: number | null): void;
} {
  const waiting: ((token: number | null) => void)[] = [];
  const fake = {
    calls: 0,
    answer: (token: number | null) => waiting.shift()?.(token),
    store: {
      acquireLease: () => {
        fake.calls++;
        return new Promise<number | null>((resolve) => waiting.push(resolve));
      },
      releaseLease: () => Promise.resolve(),
    } as unknown as ScheduleStore,
  };
  return fake;
}

let loop: BeatLeaseLoop | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await loop?.stop();
});

describe('BeatLeaseLoop', () => {
  it('steps down with a warning when the store stops answering renewals, and leads again once it answers', async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const fake = stallingStore();
    const acquired: BeatLease[] = [];
    const lost: BeatLease[] = [];
    loop = new BeatLeaseLoop(fake.store, 'me', 300, 100, {
      acquired: (lease) => acquired.push(lease),
      lost: (lease) => lost.push(lease),
    });
    loop.start();
    fake.answer(1);
    await expect.poll(() => acquired.length).toBe(1);
    // The renewal round is sent, and the store never answers it (frozen, partitioned).
    await expect.poll(() => fake.calls).toBe(2);
    await expect.poll(() => lost.length, { timeout: 3000 }).toBe(1);
    expect(loop.lease).toBeNull();
    const said = warn.mock.calls.map((call) => String(call[0]));
    expect(
      said.some((line) => /has not answered the lease renewal.*stepping down/.test(line)),
    ).toBe(true);
    expect(said.some((line) => line.includes('check that it is reachable'))).toBe(true);
    // The stalled renewal answers at last: too late to count on, so the loop asks again at once
    // and leads on that fresh answer, once (no second step-down for the stale one).
    fake.answer(2);
    await expect.poll(() => fake.calls).toBe(3);
    expect(acquired).toHaveLength(1);
    fake.answer(2);
    await expect.poll(() => acquired.length).toBe(2);
    expect(loop.lease).toEqual({ owner: 'me', token: 2 });
    await expect.poll(() => fake.calls).toBe(4);
    fake.answer(2);
    await expect.poll(() => fake.calls).toBe(5);
    expect(lost).toHaveLength(1);
    expect(loop.lease).toEqual({ owner: 'me', token: 2 });
  });
});
