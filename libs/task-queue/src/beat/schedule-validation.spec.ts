import { randomUUID } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../__fixtures__/create-app.js';
import { ConfigurationError } from '../errors/configuration.error.js';
import { TaskQueueBeatModule } from '../task-queue-beat.module.js';
import { resolveBeatOptions } from './beat-options.js';
import { Schedules } from './schedules.service.js';

const apps: INestApplicationContext[] = [];

async function schedules(): Promise<Schedules> {
  const shared = randomUUID();
  const app = await createApp({ broker: `memory://${shared}`, worker: { enabled: false } }, [
    TaskQueueBeatModule.forRoot({ store: `memory://${shared}`, enabled: false }),
  ]);
  apps.push(app);
  return app.get(Schedules);
}

afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

describe('a schedule that could never fire as meant', () => {
  it('is refused by add() with the value named, and nothing is stored', async () => {
    const service = await schedules();
    const bad: [
      string,
      Parameters<Schedules['add']>[2],
      Parameters<Schedules['add']>[3],
      RegExp,
    ][] = [
      ['tiny', { every: 0.0001 }, {}, /every must be a number of seconds from 0\.001/],
      ['huge', { every: 1e21 }, {}, /every must be .* \(100 years\), got 1e\+21/],
      ['feb31', '0 3 31 2 *', {}, /cron expression "0 3 31 2 \*" never fires/],
      ['expired', { every: 5 }, { expires: -10 }, /expires must be .* above 0, got -10/],
      ['start', { every: 5 }, { startAt: new Date('garbage') }, /startAt is not a valid date/],
      ['ends', { every: 5 }, { startAt: new Date(2e12), endAt: new Date(1e12) }, /endAt is before/],
      ['window', { every: 5 }, { catchUp: { window: -1 } }, /catchUp\.window must be/],
      ['alone', { every: 5 }, { exchange: 'reports' }, /exchange and routingKey go together/],
      ['blank', { every: 5 }, { exchange: '', routingKey: 'k' }, /exchange must be a non-empty/],
      ['max', { every: 5 }, { catchUp: { max: 0 } }, /catchUp\.max must be/],
      ['jitter', { every: 5 }, { jitter: Number.NaN }, /jitter must be/],
      [
        'prio',
        { every: 5 },
        { priority: 10 },
        /priority must be an integer from 0 to 9 \(as for @Task\), got 10/,
      ],
      ['queue', { every: 5 }, { queue: '' }, /queue must be a non-empty string/],
    ];
    for (const [name, spec, options, message] of bad) {
      const added = service.add(name, 'fixture.adhoc', spec, options);
      await expect(added, name).rejects.toThrow(ConfigurationError);
      await expect(added, name).rejects.toThrow(new RegExp(`^schedule "${name}": `));
      await expect(added, name).rejects.toThrow(message);
    }
    expect(await service.list()).toEqual([]);
  });

  it('is refused by update(), and the stored schedule stays as it was', async () => {
    const service = await schedules();
    const before = await service.add('tick', 'fixture.adhoc', { every: 5 });
    await expect(service.update('tick', { schedule: { every: -1 } })).rejects.toThrow(
      /^schedule "tick": every must be/,
    );
    await expect(service.update('tick', { expires: 0 })).rejects.toThrow(/expires must be/);
    await expect(service.update('tick', { startAt: Number.NaN })).rejects.toThrow(/startAt/);
    expect((await service.get('tick'))?.definition).toEqual(before.definition);
  });
});

describe('beat lease timing', () => {
  it('refuses a renewMs that does not fit twice in leaseMs, naming both', () => {
    expect(() => resolveBeatOptions({ leaseMs: 500, renewMs: 600 })).toThrow(ConfigurationError);
    expect(() => resolveBeatOptions({ leaseMs: 500, renewMs: 600 })).toThrow(
      /renewMs \(600\) must be an integer from 1 to half of leaseMs \(500\)/,
    );
    expect(() => resolveBeatOptions({ renewMs: 3000 })).toThrow(/half of leaseMs \(5000\)/);
    expect(() => resolveBeatOptions({ leaseMs: Number.NaN })).toThrow(/leaseMs/);
    expect(resolveBeatOptions({ leaseMs: 1000, renewMs: 500 })).toMatchObject({ renewMs: 500 });
    expect(resolveBeatOptions({ leaseMs: 300 })).toMatchObject({ renewMs: 100 });
  });

  it('refuses a module catch-up policy out of range', () => {
    expect(() => resolveBeatOptions({ catchUp: { window: -5 } })).toThrow(
      /^TaskQueueBeatModule catchUp: catchUp\.window must be/,
    );
  });
});
