import { Injectable } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { createProducerApp } from '../__fixtures__/create-app.js';
import { MemoryBroker } from '../transports/memory/memory.broker.js';
import { Task } from '../tasks/task.decorator.js';
import { PublishOutcomeUnknownError } from '../errors/publish-outcome-unknown.error.js';
import type { PublishOptions } from '../contracts/broker.interface.js';
import type { TaskMessage } from '../contracts/task-message.interface.js';
import { DEDUPE_HEADER } from '../task-queue.constants.js';
import { drainOnCommit } from '../transaction/commit-hooks.runner.js';
import { TaskClient } from './task.client.js';

/** A broker whose first publish fails with an unknown outcome; records every attempt. */
class FlakyBroker extends MemoryBroker {
  readonly attempts: Array<{ id: string; dedupe: unknown }> = [];

  override async publish(message: TaskMessage, options: PublishOptions): Promise<void> {
    const headers = message.headers as unknown as Record<string, unknown>;
    this.attempts.push({ id: message.headers.id, dedupe: headers[DEDUPE_HEADER] });
    if (this.attempts.length === 1)
      throw new PublishOutcomeUnknownError('no confirm', { taskId: message.headers.id });
    await super.publish(message, options);
  }
}

@Injectable()
class Tasks {
  @Task('outcome.add')
  add(a: number, b: number): number {
    return a + b;
  }
}

async function client(broker: FlakyBroker): Promise<TaskClient> {
  return (await createProducerApp(broker, [Tasks])).get(TaskClient);
}

describe('publishes with an unknown outcome', () => {
  it('the error carries the task id, and applyAsync honours it for the retry', async () => {
    const broker = new FlakyBroker();
    const tasks = (await client(broker)).get(Tasks, 'add');
    const error = await tasks.applyAsync([1, 2]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PublishOutcomeUnknownError);
    const taskId = (error as PublishOutcomeUnknownError).taskId!;
    const retried = await tasks.applyAsync([1, 2], { taskId });
    expect(retried.id).toBe(taskId);
    expect(broker.attempts.map((a) => a.id)).toEqual([taskId, taskId]);
  });

  it('after-commit dispatch retries with the same id and asks workers to dedupe', async () => {
    const broker = new FlakyBroker();
    const tasks = (await client(broker)).get(Tasks, 'add');
    const result = await tasks.delayOnCommit(1, 2); // no transaction: published now, retried
    await drainOnCommit();
    expect(broker.attempts).toEqual([
      { id: result.id, dedupe: undefined },
      { id: result.id, dedupe: true },
    ]);
  });
});
