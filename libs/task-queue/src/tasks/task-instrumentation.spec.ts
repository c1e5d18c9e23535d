import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TaskClient } from '../producer/task.client.js';
import { Task } from './task.decorator.js';
import { ConfigurationError } from '../errors/configuration.error.js';
import { Reject, Retry } from '../errors/task-signals.js';
import type { Broker } from '../contracts/broker.interface.js';
import { createTaskMessage } from '../protocol/task-message.factory.js';
import type { TaskRequest } from '../protocol/task-request.js';
import { TaskQueueModule } from '../task-queue.module.js';
import { getBrokerToken } from '../utils/tokens.js';
import { DeadLetters } from '../worker/dead-letters.js';
import {
  type OutgoingTask,
  TASK_INSTRUMENTATION,
  TaskInstrumentation,
} from './task-instrumentation.js';

/** Records what goes through the seam, and tags each message it wraps. */
class Recording extends TaskInstrumentation {
  readonly published: Array<{ task: string; via: OutgoingTask['via']; queue: string }> = [];
  readonly attempts: Array<{ task: string; retries: number }> = [];

  override wrapPublish(task: OutgoingTask, publish: () => Promise<void>): Promise<void> {
    this.published.push({
      task: task.message.headers.task,
      via: task.via,
      queue: task.options.queue,
    });
    task.message.headers['x-wrapped'] = true;
    return publish();
  }

  override wrapExecution<T>(request: TaskRequest, run: () => Promise<T>): Promise<T> {
    this.attempts.push({ task: request.name, retries: request.retries });
    return run();
  }
}

@Injectable()
class SeamTasks {
  @Task('seam.flaky', { maxRetries: 1 })
  flaky(): string {
    throw new Retry({ countdown: 0 });
  }

  @Task('seam.step')
  step(x: number): number {
    return x + 1;
  }

  @Task('seam.reject')
  reject(): never {
    throw new Reject('bad', false);
  }
}

async function boot(instrumentation: TaskInstrumentation) {
  const moduleRef = await Test.createTestingModule({
    imports: [
      TaskQueueModule.forRoot({
        broker: `memory://${randomUUID()}`,
        worker: { banner: false, queues: ['seam', 'rejects'] },
        defaultQueue: 'seam',
        events: { enabled: false },
        instrumentation,
      }),
    ],
    providers: [SeamTasks],
  }).compile();
  moduleRef.useLogger(false);
  await moduleRef.init();
  return moduleRef;
}

describe('TaskInstrumentation seam', () => {
  it('wraps sends, retries, canvas steps, redrives and every attempt', async () => {
    const seam = new Recording();
    const app = await boot(seam);
    try {
      expect(app.get(TASK_INSTRUMENTATION)).toBe(seam);
      const client = app.get(TaskClient);
      // A send, then its retry (attempt 1 retries, attempt 2 exceeds maxRetries).
      await expect((await client.send('seam.flaky')).get({ timeout: 5_000 })).rejects.toThrow();
      expect(seam.attempts.filter((a) => a.task === 'seam.flaky')).toEqual([
        { task: 'seam.flaky', retries: 0 },
        { task: 'seam.flaky', retries: 1 },
      ]);
      // A chain step published by the worker (embed.chain: the next signature).
      const next = {
        task: 'seam.step',
        args: [],
        kwargs: {},
        options: { queue: 'seam' },
        subtask_type: null,
        immutable: false,
      };
      const first = createTaskMessage({
        name: 'seam.step',
        args: [1],
        embed: { chain: [next] },
      });
      await app.get<Broker>(getBrokerToken()).publish(first, { queue: 'seam' });
      await expect
        .poll(() => seam.attempts.filter((a) => a.task === 'seam.step').length, {
          timeout: 5_000,
        })
        .toBe(2);
      // A dead letter put back.
      await client.send('seam.reject', [], {}, { queue: 'rejects' });
      const dead = app.get(DeadLetters);
      await expect.poll(() => dead.count('rejects'), { timeout: 5_000 }).toBe(1);
      await dead.redrive('rejects');
      await expect
        .poll(() => seam.attempts.filter((a) => a.task === 'seam.reject').length, {
          timeout: 5_000,
        })
        .toBe(2);
      expect(seam.published).toEqual([
        { task: 'seam.flaky', via: 'send', queue: 'seam' },
        { task: 'seam.flaky', via: 'retry', queue: 'seam' },
        { task: 'seam.step', via: 'canvas', queue: 'seam' },
        { task: 'seam.reject', via: 'send', queue: 'rejects' },
        { task: 'seam.reject', via: 'redrive', queue: 'rejects' },
      ]);
    } finally {
      await app.close();
    }
  });

  it('rejects tracing together with an instrumentation, and bad tracing options', async () => {
    await expect(
      Test.createTestingModule({
        imports: [
          TaskQueueModule.forRoot({ tracing: true, instrumentation: new TaskInstrumentation() }),
        ],
      }).compile(),
    ).rejects.toThrow(ConfigurationError);
    await expect(
      Test.createTestingModule({
        imports: [
          TaskQueueModule.forRoot({
            tracing: { consumerParent: 'parent' as 'link' },
          }),
        ],
      }).compile(),
    ).rejects.toThrow(/tracing.consumerParent/);
  });
});
