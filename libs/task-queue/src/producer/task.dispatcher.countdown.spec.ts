import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { describe, expect, it } from 'vitest';
import { RecordingBroker } from '../__fixtures__/recording-broker.js';
import { Task } from '../tasks/task.decorator.js';
import { TaskQueueModule } from '../task-queue.module.js';
import { TaskClient } from './task.client.js';

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
    const moduleRef = await Test.createTestingModule({
      imports: [
        TaskQueueModule.forRoot({ broker, resultBackend: false, worker: { enabled: false } }),
      ],
      providers: [Tasks],
    }).compile();
    await moduleRef.init();
    const add = moduleRef.get(TaskClient).get(Tasks, 'add');
    await add.applyAsync([1, 2], { countdown: 0 });
    await add.applyAsync([1, 2], { countdown: 10 });
    await moduleRef.close();
    expect(broker.sent[0]!.eta).toBeNull();
    expect(Date.parse(broker.sent[1]!.eta!)).toBeGreaterThan(Date.now() + 5_000);
  });
});
