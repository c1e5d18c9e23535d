import { Injectable, Module } from '@nestjs/common';
import { Test, type TestingModuleBuilder } from '@nestjs/testing';
import { describe, expect, it } from 'vitest';
import { TaskClient } from '../producer/task.client.js';
import { Task } from '../tasks/task.decorator.js';
import { DEAD_LETTER_HEADERS } from '../worker/dead-letters.js';
import { TaskTimeoutError } from '../errors/task-timeout.error.js';
import { TaskQueueTestingModule } from './task-queue-testing.module.js';
import { TaskQueueTester } from './task-queue.tester.js';

@Injectable()
class Mailer {
  send(to: string): string {
    return `real ${to}`;
  }
}

@Injectable()
class OrderTasks {
  constructor(
    private readonly mailer: Mailer,
    private readonly tasks: TaskClient,
  ) {}

  @Task('tester.process')
  async process(id: number): Promise<string> {
    await this.tasks.get(OrderTasks, 'notify').delay(`u${id}`);
    return `processed ${id}`;
  }

  @Task('tester.notify')
  notify(to: string): string {
    return this.mailer.send(to);
  }
}

@Module({ providers: [OrderTasks, Mailer] })
class OrdersModule {}

async function testApp(
  override: (builder: TestingModuleBuilder) => TestingModuleBuilder = (b) => b,
) {
  const builder = Test.createTestingModule({
    imports: [TaskQueueTestingModule.forRoot({ events: { enabled: false } }), OrdersModule],
  });
  const app = await override(builder).compile();
  await app.init();
  return app;
}

/** Run `tester.process(id)` to the end: the process result and the notify results. */
async function processed(override?: (builder: TestingModuleBuilder) => TestingModuleBuilder) {
  const app = await testApp(override);
  try {
    const tasks = app.get(TaskClient);
    const result = await tasks.get(OrderTasks, 'process').delay(7);
    const tester = app.get(TaskQueueTester);
    await tester.runUntilIdle();
    const notified = await Promise.all(
      tester
        .sent('tester.notify')
        .map((p) => tasks.result(p.message.headers.id).get({ timeout: 1_000 })),
    );
    return { result: await result.get({ timeout: 1_000 }), notified };
  } finally {
    await app.close();
  }
}

describe('TaskQueueTester.runUntilIdle()', () => {
  it('runs the sent tasks and the tasks they send, with their providers', async () => {
    expect(await processed()).toEqual({ result: 'processed 7', notified: ['real u7'] });
  });

  it('runs a task provider overridden with useValue: the value stands in for the class', async () => {
    const stub = { process: async (id: number) => `stub ${id}`, notify: () => 'stub' };
    const outcome = await processed((b) => b.overrideProvider(OrderTasks).useValue(stub));
    expect(outcome).toEqual({ result: 'stub 7', notified: [] });
  });

  it('runs a task provider overridden with useClass, by a subclass that overrides a task method', async () => {
    class FakeOrderTasks extends OrderTasks {
      override async process(id: number): Promise<string> {
        return `fake ${id}`;
      }
    }
    const outcome = await processed((b) => b.overrideProvider(OrderTasks).useClass(FakeOrderTasks));
    expect(outcome).toEqual({ result: 'fake 7', notified: [] });
  });

  it('dead-letters a task no provider declares once, and returns (the dead-letter queue is not run)', async () => {
    const app = await testApp();
    try {
      await app.get(TaskClient).send('tester.nobody', [1]);
      const tester = app.get(TaskQueueTester);
      await tester.runUntilIdle();
      const dead = tester.sent().filter((p) => DEAD_LETTER_HEADERS.reason in p.message.headers);
      expect(dead.map((p) => p.options.queue)).toEqual(['celery.dlq']);
    } finally {
      await app.close();
    }
  }, 10_000);

  it('a result awaited before runUntilIdle() times out with a message that says tasks run only there', async () => {
    const app = await testApp();
    try {
      const result = await app.get(TaskClient).get(OrderTasks, 'process').delay(7);
      const error = await result.get({ timeout: 50 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TaskTimeoutError);
      expect((error as Error).message).toContain(
        'did not finish within 50 ms. Under TaskQueueTestingModule no worker consumes: tasks run only inside TaskQueueTester.runUntilIdle().',
      );
      await app.get(TaskQueueTester).runUntilIdle();
      expect(await result.get({ timeout: 1_000 })).toBe('processed 7');
    } finally {
      await app.close();
    }
  });
});
