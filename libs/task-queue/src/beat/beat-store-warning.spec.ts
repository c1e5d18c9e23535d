import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { createApp } from '../__fixtures__/create-app.js';
import { TaskQueueBeatModule } from '../task-queue-beat.module.js';
import { MemoryBroker } from '../transports/memory/memory.broker.js';

describe('beat without a shared store on a non-memory broker', () => {
  let warn: MockInstance<Logger['warn']>;
  beforeEach(() => {
    warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => warn.mockRestore());

  it('says how to give every process the same store', async () => {
    // A broker instance is not known to be process memory: the store falls back to memory.
    const app = await createApp(
      { broker: new MemoryBroker(randomUUID()), worker: { enabled: false } },
      [TaskQueueBeatModule.forRoot({ enabled: false })],
    );
    await app.close();
    const lines = warn.mock.calls
      .map(([message]: unknown[]) => String(message))
      .filter((message) => message.includes('keeps schedules in process memory'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("TaskQueueBeatModule.forRoot({ store: 'redis://host:6379/0' })");
    expect(lines[0]).toContain('new TypeOrmScheduleStore(dataSource)');
  });

  it('is not logged for a memory:// store given on purpose', async () => {
    const app = await createApp(
      { broker: new MemoryBroker(randomUUID()), worker: { enabled: false } },
      [TaskQueueBeatModule.forRoot({ store: `memory://${randomUUID()}`, enabled: false })],
    );
    await app.close();
    const lines = warn.mock.calls
      .map(([message]: unknown[]) => String(message))
      .filter((message) => message.includes('keeps schedules in process memory'));
    expect(lines).toHaveLength(0);
  });
});
