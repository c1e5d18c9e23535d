import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { describe, expect, it } from 'vitest';
import { createApp } from './__fixtures__/create-app.js';
import { OrderTasks, ScopedTasks } from './__fixtures__/orders.fixture.js';
import { TaskRegistry } from './tasks/task.registry.js';
import { TaskClient } from './producer/task.client.js';
import { Task } from './tasks/task.decorator.js';
import { ConfigurationError } from './errors/configuration.error.js';
import { DuplicateTaskError } from './errors/duplicate-task.error.js';
import { TaskQueueModule } from './task-queue.module.js';
import { TaskQueueBeatModule } from './task-queue-beat.module.js';
import { Schedules } from './beat/schedules.service.js';
import { TaskQueueTestingModule } from './testing/task-queue-testing.module.js';

describe('TaskQueueModule', () => {
  it('discovers @Task methods across feature modules with no registration list', async () => {
    const app = await createApp({ worker: { enabled: false } });
    const names = app.get(TaskRegistry).names();
    // Celery's built-in tasks are always there (celery.map, celery.chord_unlock ...).
    expect(names.filter((n) => n.startsWith('celery.'))).toEqual([
      'celery.accumulate',
      'celery.backend_cleanup',
      'celery.chain',
      'celery.chord',
      'celery.chord_unlock',
      'celery.chunks',
      'celery.group',
      'celery.map',
      'celery.starmap',
    ]);
    expect(names.filter((n) => !n.startsWith('celery.'))).toEqual([
      'OrderTasks.audit',
      'notifications.email',
      'orders.add',
      'orders.decline',
      'orders.process',
      'orders.progress',
      'orders.slow',
      'orders.spawn',
      'orders.whoami',
    ]);
    await app.close();
  });

  it('fails boot on duplicate task names, naming both places', async () => {
    @Injectable()
    class Again {
      @Task('orders.process')
      other(): void {}
    }
    @Module({ providers: [Again] })
    class AgainModule {}
    const boot = createApp({ worker: { enabled: false } }, [
      (await import('./__fixtures__/orders.fixture.js')).OrdersFixtureModule,
      AgainModule,
    ]);
    await expect(boot).rejects.toThrow(DuplicateTaskError);
    await expect(boot).rejects.toThrow(
      /OrderTasks\.process.*Again\.other|Again\.other.*OrderTasks\.process/,
    );
  });

  it('a class in the providers of two modules, or forRoot() imported twice: says which mistake', async () => {
    @Injectable()
    class Twice {
      @Task('twice.run')
      run(): void {}
    }
    @Module({ providers: [Twice] })
    class FirstModule {}
    @Module({ providers: [Twice] })
    class SecondModule {}
    const twice = createApp({ worker: { enabled: false } }, [FirstModule, SecondModule]);
    await expect(twice).rejects.toThrow(
      'Task "twice.run" is registered twice by Twice.run: its class is in the providers of two modules',
    );
    const forRootTwice = Test.createTestingModule({
      imports: [TaskQueueModule.forRoot({}), TaskQueueModule.forRoot({})],
    })
      .compile()
      .then((moduleRef) => moduleRef.init());
    await expect(forRootTwice).rejects.toThrow(
      /\(built in\) is registered twice: TaskQueueModule\.forRoot\(\) is imported twice/,
    );
  });

  it('the testing module next to forRoot(): says how to swap the real import for it', async () => {
    @Module({ imports: [TaskQueueModule.forRoot({})] })
    class AppModule {}
    const both = Test.createTestingModule({
      imports: [AppModule, TaskQueueTestingModule.forRoot()],
    })
      .compile()
      .then((moduleRef) => moduleRef.init());
    await expect(both).rejects.toThrow(
      /TaskQueueTestingModule\.forRoot\(\) imports it too.*overrideModule\(<the forRoot\(\) result>\)\.useModule\(TaskQueueTestingModule\.forRoot\(\)\)/,
    );
  });

  it.each([
    [{ defaultQueue: '' }, /"defaultQueue" must be a non-empty string/],
    [{ broker: 'kafka://x' }, /"broker" must be a URL starting with memory:\/\//],
    [{ worker: { concurrency: 0 } }, /"worker.concurrency" must be a whole number ≥ 1/],
    [{ worker: { hostname: 'nohost' } }, /"worker.hostname" must be a Celery node name/],
    [{ taskDefaults: { priority: 12 } }, /"taskDefaults.priority" must be an integer from 0 to 9/],
    [{ routes: { 'a.*': { priority: -1 } } }, /routes\['a\.\*'\]\.priority/],
    [{ brokr: 'memory://' }, /unknown option "brokr" \(did you mean "broker"\?\)/],
  ])('rejects bad options at boot: %j', async (options, message) => {
    const boot = Test.createTestingModule({
      imports: [TaskQueueModule.forRoot(options as never)],
    }).compile();
    await expect(boot).rejects.toThrow(ConfigurationError);
    await expect(
      Test.createTestingModule({ imports: [TaskQueueModule.forRoot(options as never)] }).compile(),
    ).rejects.toThrow(message);
  });

  it('rejects invalid @Task options at boot, naming the task', async () => {
    @Injectable()
    class Bad {
      @Task('bad.task', { rateLimit: 'fast' as never })
      run(): void {}
    }
    @Module({ providers: [Bad] })
    class BadModule {}
    await expect(createApp({ worker: { enabled: false } }, [BadModule])).rejects.toThrow(
      /@Task\('bad\.task'\)\.rateLimit" must be 'N\/s', 'N\/m', 'N\/h'/,
    );
  });

  it('forRoot() of the module and of the beat take no argument: memory transports, worker in the app', async () => {
    @Injectable()
    class Adder {
      @Task('noargs.add')
      add(x: number, y: number): number {
        return x + y;
      }
    }
    const moduleRef = await Test.createTestingModule({
      imports: [TaskQueueModule.forRoot(), TaskQueueBeatModule.forRoot()],
      providers: [Adder],
    }).compile();
    await moduleRef.init();
    const result = await moduleRef.get(TaskClient).get(Adder, 'add').delay(2, 3);
    expect(await result.get({ timeout: 5_000 })).toBe(5);
    expect(await moduleRef.get(Schedules).list()).toEqual([]);
    await moduleRef.close();
  });

  it('supports forRootAsync with a factory and injected config', async () => {
    @Injectable()
    class Settings {
      readonly queue = 'from-factory';
    }
    @Module({ providers: [Settings], exports: [Settings] })
    class SettingsModule {}
    const moduleRef = await Test.createTestingModule({
      imports: [
        TaskQueueModule.forRootAsync({
          imports: [SettingsModule],
          inject: [Settings],
          useFactory: (s: Settings) => ({ defaultQueue: s.queue, worker: { enabled: false } }),
        }),
        (await import('./__fixtures__/orders.fixture.js')).OrdersFixtureModule,
      ],
    }).compile();
    await moduleRef.init();
    const result = await moduleRef.get(TaskClient).get(OrderTasks, 'audit').delay();
    expect(result.id).toMatch(/^[0-9a-f-]{36}$/);
    await moduleRef.close();
  });

  it('resolves transient / request-scoped task providers per task', async () => {
    @Module({ providers: [ScopedTasks] })
    class ScopedModule {}
    const app = await createApp({}, [ScopedModule]);
    const tasks = app.get(TaskClient);
    const a = await (await tasks.send<number>('scoped.instance')).get({ timeout: 2000 });
    const b = await (await tasks.send<number>('scoped.instance')).get({ timeout: 2000 });
    expect(a).not.toBe(b);
    await app.close();
  });
});
