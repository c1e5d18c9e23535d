import { describe, expect, it, vi } from 'vitest';
import type {
  PendingFire,
  ScheduleDefinition,
  ScheduleStore,
  StoredSchedule,
} from '../contracts/schedule-store.interface.js';
import { BeatEvents } from './beat-events.js';
import type { BeatLeaseLoop } from './beat-lease.js';
import type { BeatPublisher } from './beat-publisher.js';
import { FireSender } from './fire-sender.js';

const definition: ScheduleDefinition = {
  name: 'soon',
  task: 't',
  schedule: { every: 60 },
  args: [],
  kwargs: {},
  enabled: true,
  source: 'api',
};
const stored: StoredSchedule = {
  definition,
  state: { nextFireAt: null, lastRunAt: null, lastTaskId: null, totalRuns: 1, rev: 2 },
};

function sender(tracked: Map<string, StoredSchedule>) {
  const publish = vi.fn(async () => undefined);
  const confirm = vi.fn(async () => undefined);
  const fires = new FireSender(
    { confirm } as unknown as ScheduleStore,
    { lease: { owner: 'o', token: 1 } } as unknown as BeatLeaseLoop,
    { publish } as unknown as BeatPublisher,
    new BeatEvents(),
    (name) => tracked.get(name),
  );
  return { fires, publish, confirm };
}

describe('FireSender, for a fire claimed ahead of its instant', () => {
  it('does not publish it when its schedule is removed or paused while it waits', async () => {
    for (const change of ['remove', 'pause'] as const) {
      const tracked = new Map([['soon', stored]]);
      const { fires, publish, confirm } = sender(tracked);
      const fire: PendingFire = { name: 'soon', taskId: 'id-1', scheduledAt: Date.now() + 150 };
      const sent = fires.send([fire], false);
      if (change === 'remove') tracked.delete('soon');
      else tracked.set('soon', { ...stored, definition: { ...definition, enabled: false } });
      await sent;
      expect(publish, change).not.toHaveBeenCalled();
      expect(confirm, change).toHaveBeenCalledWith([fire]);
    }
  });

  it('leaves it pending for the next leader when this one lost the lease while it waited', async () => {
    const lease = { lease: { owner: 'o', token: 1 } as { owner: string; token: number } | null };
    const publish = vi.fn(async () => undefined);
    const confirm = vi.fn(async () => undefined);
    const fires = new FireSender(
      { confirm } as unknown as ScheduleStore,
      lease as unknown as BeatLeaseLoop,
      { publish } as unknown as BeatPublisher,
      new BeatEvents(),
      () => stored,
    );
    const sent = fires.send(
      [{ name: 'soon', taskId: 'id-3', scheduledAt: Date.now() + 150 }],
      false,
    );
    lease.lease = null;
    await sent;
    expect(publish).not.toHaveBeenCalled();
    expect(confirm).not.toHaveBeenCalled();
  });

  it('publishes it when its schedule is still there', async () => {
    const { fires, publish } = sender(new Map([['soon', stored]]));
    await fires.send([{ name: 'soon', taskId: 'id-2', scheduledAt: Date.now() + 50 }], false);
    expect(publish).toHaveBeenCalledTimes(1);
  });
});
