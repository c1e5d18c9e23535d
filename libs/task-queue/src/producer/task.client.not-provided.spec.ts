import { Injectable, Logger, Module } from '@nestjs/common';
import { LazyModuleLoader } from '@nestjs/core';
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { createApp } from '../__fixtures__/create-app.js';
import { OrderTasks } from '../__fixtures__/orders.fixture.js';
import { Task } from '../tasks/task.decorator.js';
import { TaskClient } from './task.client.js';

/** A @Task class that no module of the app lists in its providers. */
@Injectable()
class ForgottenTasks {
  @Task('forgotten.run')
  run(x: number): number {
    return x;
  }

  @Task('forgotten.other')
  other(): void {}
}

/** A @Task class of a module loaded after boot, through LazyModuleLoader. */
@Injectable()
class LazyTasks {
  @Task('lazy.run')
  run(): string {
    return 'lazy';
  }
}

@Module({ providers: [LazyTasks] })
class LazyTasksModule {}

describe('TaskClient.get() on a @Task class that is no provider of the app', () => {
  let warn: MockInstance<Logger['warn']>;
  beforeEach(() => {
    warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => warn.mockRestore());

  const notProvided = () =>
    warn.mock.calls
      .map(([message]: unknown[]) => String(message))
      .filter((message) => message.includes('is not a provider of any module'));

  it('warns once per class, naming the class, the fix and send() for remote tasks', async () => {
    const app = await createApp({ worker: { enabled: false } });
    try {
      const tasks = app.get(TaskClient);
      tasks.get(OrderTasks, 'process');
      expect(notProvided()).toEqual([]);

      tasks.get(ForgottenTasks, 'run');
      tasks.get(ForgottenTasks, 'other');
      expect(notProvided()).toHaveLength(1);
      expect(notProvided()[0]).toContain("ForgottenTasks.run is @Task('forgotten.run')");
      expect(notProvided()[0]).toContain('Add ForgottenTasks to the providers of a module');
      expect(notProvided()[0]).toContain("tasks.send('forgotten.run', args)");
    } finally {
      await app.close();
    }
  });

  it('for a class of a lazily loaded module, says the module was loaded after boot and how to fix it', async () => {
    const app = await createApp({ worker: { enabled: false } });
    try {
      await app.get(LazyModuleLoader).load(() => LazyTasksModule);
      app.get(TaskClient).get(LazyTasks, 'run');
      const warnings = warn.mock.calls.map(([message]: unknown[]) => String(message));
      const lazy = warnings.filter((message) =>
        message.includes("LazyTasks.run is @Task('lazy.run')"),
      );
      expect(lazy).toHaveLength(1);
      expect(lazy[0]).not.toContain('is not a provider of any module');
      expect(lazy[0]).toContain('LazyTasksModule');
      expect(lazy[0]).toContain('LazyModuleLoader');
      expect(lazy[0]).toContain('import LazyTasksModule');
    } finally {
      await app.close();
    }
  });
});
