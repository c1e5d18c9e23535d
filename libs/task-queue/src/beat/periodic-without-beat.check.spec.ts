import { Logger } from '@nestjs/common';
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { BeatFixtureModule } from '../__fixtures__/beat.fixture.js';
import { createApp } from '../__fixtures__/create-app.js';
import { TaskQueueBeatModule } from '../task-queue-beat.module.js';

describe('@Periodic without TaskQueueBeatModule', () => {
  let warn: MockInstance<Logger['warn']>;
  beforeEach(() => {
    warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => warn.mockRestore());

  const notFiring = () =>
    warn.mock.calls
      .map(([message]: unknown[]) => String(message))
      .filter((message) => message.includes('TaskQueueBeatModule is not imported'));

  it('warns at boot, naming the @Periodic methods and the module to import', async () => {
    const app = await createApp({ worker: { enabled: false } }, [BeatFixtureModule]);
    await app.close();
    expect(notFiring()).toHaveLength(1);
    expect(notFiring()[0]).toMatch(/^@Periodic on BeatFixtureTasks\.tick\b/);
    expect(notFiring()[0]).toContain('Import TaskQueueBeatModule.forRoot({})');
  });

  it('says nothing when TaskQueueBeatModule is imported', async () => {
    const app = await createApp({ worker: { enabled: false } }, [
      BeatFixtureModule,
      TaskQueueBeatModule.forRoot({ store: 'memory://', enabled: false }),
    ]);
    await app.close();
    expect(notFiring()).toEqual([]);
  });
});
