import { ConsoleLogger, Injectable, Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Task } from './task.decorator.js';
import { TaskClient } from '../producer/task.client.js';
import { Retry } from '../errors/task-signals.js';
import { TaskQueueModule } from '../task-queue.module.js';

@Injectable()
class LoggedTasks {
  @Task('logged.fails')
  fails(): never {
    throw new TypeError('bad input');
  }

  @Task('logged.retries', { maxRetries: 1 })
  retries(): never {
    throw new Retry({ countdown: 0 });
  }
}

/** Lines Nest's JSON ConsoleLogger wrote to stdout and stderr, parsed. */
function captureJsonLines(): Array<Record<string, unknown>> {
  const lines: Array<Record<string, unknown>> = [];
  const capture = (chunk: unknown): boolean => {
    for (const line of String(chunk).split('\n')) {
      if (line.startsWith('{')) lines.push(JSON.parse(line) as Record<string, unknown>);
    }
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  return lines;
}

describe('worker log lines about a task carry its id, name and queue', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    Logger.overrideLogger(new ConsoleLogger());
  });

  it('as top-level JSON fields with ConsoleLogger({ json: true, flattenParams: true })', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        TaskQueueModule.forRoot({
          broker: `memory://${randomUUID()}`,
          worker: { banner: false, queues: ['logs'] },
          events: { enabled: false },
        }),
      ],
      providers: [LoggedTasks],
    }).compile();
    moduleRef.useLogger(new ConsoleLogger({ json: true, flattenParams: true }));
    const lines = captureJsonLines();
    await moduleRef.init();
    try {
      const client = moduleRef.get(TaskClient);
      const failed = await client.send('logged.fails', [], {}, { queue: 'logs' });
      const retried = await client.send('logged.retries', [], {}, { queue: 'logs' });
      await expect(failed.get({ timeout: 5_000 })).rejects.toThrow('bad input');
      await expect(retried.get({ timeout: 5_000 })).rejects.toThrow();
      const about = (id: string) => lines.filter((line) => line.taskId === id);
      expect(about(failed.id)).toContainEqual(
        expect.objectContaining({
          level: 'error',
          context: 'TaskQueue',
          message: expect.stringContaining('failed: TypeError: bad input'),
          taskId: failed.id,
          taskName: 'logged.fails',
          queue: 'logs',
          stack: expect.stringContaining('TypeError: bad input'),
        }),
      );
      expect(about(retried.id)).toContainEqual(
        expect.objectContaining({
          level: 'log',
          message: expect.stringContaining(`[${retried.id}] retry: Retry in 0s`),
          taskName: 'logged.retries',
          queue: 'logs',
        }),
      );
    } finally {
      await moduleRef.close();
    }
  });
});
