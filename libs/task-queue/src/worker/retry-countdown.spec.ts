import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RecordingBroker } from '../__fixtures__/recording-broker.js';
import { TaskClient } from '../producer/task.client.js';
import { Task } from '../tasks/task.decorator.js';
import { TaskContext } from '../tasks/task-context.js';
import { TaskQueueModule } from '../task-queue.module.js';

@Injectable()
class RetryingTasks {
  constructor(private readonly ctx: TaskContext) {}

  @Task('retry-countdown.now', { maxRetries: 2 })
  now(): number {
    if (this.ctx.retries === 0) this.ctx.retry({ countdown: 0 });
    return this.ctx.retries;
  }
}

describe('ctx.retry({ countdown: 0 })', () => {
  it('republishes without an eta, as Celery (`if countdown:`): no ETA task for the worker', async () => {
    const broker = new RecordingBroker();
    const moduleRef = await Test.createTestingModule({
      imports: [
        TaskQueueModule.forRoot({
          broker,
          resultBackend: `memory://${randomUUID()}`,
          worker: { banner: false },
        }),
      ],
      providers: [RetryingTasks],
    }).compile();
    await moduleRef.init();
    try {
      const result = await moduleRef.get(TaskClient).send<number>('retry-countdown.now');
      expect(await result.get({ timeout: 5_000 })).toBe(1);
      const retried = broker.sent.find((h) => h.retries === 1)!;
      expect(retried.eta).toBeNull();
    } finally {
      await moduleRef.close();
    }
  });
});
