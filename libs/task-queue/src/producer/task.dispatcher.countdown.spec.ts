import { Injectable } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { createProducerApp } from '../__fixtures__/create-app.js';
import { RecordingBroker } from '../__fixtures__/recording-broker.js';
import { Task } from '../tasks/task.decorator.js';
import { TaskClient } from './task.client.js';
import { TaskQueueError } from '../errors/task-queue.error.js';

@Injectable()
class Tasks {
  @Task('countdown.add')
  add(a: number, b: number): number {
    return a + b;
  }
}

describe('applyAsync({ countdown })', () => {
  it('0 sends no eta, as Celery (`if countdown:`), so workers see no ETA task', async () => {
    const broker = new RecordingBroker();
    const moduleRef = await createProducerApp(broker, [Tasks]);
    const add = moduleRef.get(TaskClient).get(Tasks, 'add');
    await add.applyAsync([1, 2], { countdown: 0 });
    await add.applyAsync([1, 2], { countdown: 10 });
    await moduleRef.close();
    expect(broker.sent[0]!.eta).toBeNull();
    expect(Date.parse(broker.sent[1]!.eta!)).toBeGreaterThan(Date.now() + 5_000);
  });

  it.each([
    [{ countdown: Infinity }, 'countdown must be a finite number of seconds; got Infinity'],
    [{ countdown: Number.NaN }, 'countdown must be a finite number of seconds; got NaN'],
    [{ countdown: 1e20 }, 'countdown of 100000000000000000000 s ends past the last date'],
    [{ eta: new Date(Number.NaN) }, 'eta must be a valid Date; got an invalid Date'],
    [{ eta: 'tomorrow' as unknown as Date }, 'eta must be a valid Date; got "tomorrow"'],
    [{ expires: Infinity }, 'expires must be a finite number of seconds; got Infinity'],
    [{ expires: new Date(Number.NaN) }, 'expires must be a valid Date; got an invalid Date'],
    [{ queue: '' }, 'queue must be a non-empty queue name; got ""'],
  ])('refuses %o with a TaskQueueError saying why, and sends nothing', async (options, why) => {
    const broker = new RecordingBroker();
    const moduleRef = await createProducerApp(broker, [Tasks]);
    const add = moduleRef.get(TaskClient).get(Tasks, 'add');
    // Was: RangeError "Invalid time value" or a TypeError; a NaN countdown sent it at once.
    const sending = add.applyAsync([1, 2], options);
    await expect(sending).rejects.toBeInstanceOf(TaskQueueError);
    await expect(sending).rejects.toThrow(`Cannot send countdown.add: ${why}`);
    await moduleRef.close();
    expect(broker.sent).toHaveLength(0);
  });

  it("gives an empty taskId a new id, as Celery's `task_id or uuid()`", async () => {
    const broker = new RecordingBroker();
    const moduleRef = await createProducerApp(broker, [Tasks]);
    const result = await moduleRef
      .get(TaskClient)
      .get(Tasks, 'add')
      .applyAsync([1, 2], { taskId: '' });
    await moduleRef.close();
    expect(result.id).toMatch(/^[0-9a-f-]{36}$/);
  });
});
