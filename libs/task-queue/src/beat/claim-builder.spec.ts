import { describe, expect, it } from 'vitest';
import type { ScheduleDefinition } from '../contracts/schedule-store.interface.js';
import { BeatEvents, type BeatSkippedEvent } from './beat-events.js';
import { buildClaim } from './claim-builder.js';
import { freshState } from './fire-planner.js';
import { toScheduleDefinition } from './schedule-definition.js';

const T0 = Date.UTC(2026, 11, 7, 12, 0, 0);

/** A 0.1 s schedule whose leader comes back 350 ms late: four fires are due at once. */
async function claimAfterStall(overlap: NonNullable<ScheduleDefinition['overlap']>) {
  const definition = toScheduleDefinition(
    'tick',
    'fixture.tick',
    { every: 0.1 },
    { overlap },
    'api',
  );
  const state = { ...freshState(definition, T0), nextFireAt: T0 };
  const events = new BeatEvents();
  const skipped: BeatSkippedEvent[] = [];
  events.on('skipped').subscribe((e) => skipped.push(e));
  const notBlocked = { blocks: async () => false };
  const claim = await buildClaim({ definition, state }, T0 + 350, undefined, notBlocked, events);
  return { fires: claim!.fires.map((f) => f.scheduledAt - T0), skipped };
}

describe('claims of fires that came due together', () => {
  it("with overlap 'allow', catch-up 'all' sends every due fire", async () => {
    const { fires, skipped } = await claimAfterStall('allow');
    expect(fires).toEqual([0, 100, 200, 300]);
    expect(skipped).toEqual([]);
  });

  it("with overlap 'skip', sends only the newest: the others would run at once, overlapping", async () => {
    const { fires, skipped } = await claimAfterStall('skip');
    expect(fires).toEqual([300]);
    expect(skipped).toEqual([{ type: 'skipped', name: 'tick', count: 3, reason: 'overlap' }]);
  });
});
