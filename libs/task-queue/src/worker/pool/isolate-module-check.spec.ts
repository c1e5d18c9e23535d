import { forwardRef, Module } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { TaskQueueModule } from '../../task-queue.module.js';
import { importsTaskQueueModule } from './isolate-module-check.js';

@Module({ imports: [TaskQueueModule.forRoot({ broker: 'memory://' })] })
class QueueModule {}

@Module({})
class Empty {}

describe('importsTaskQueueModule', () => {
  it('finds TaskQueueModule directly, nested, in dynamic modules, promises and forwardRefs', async () => {
    @Module({ imports: [Empty, QueueModule] })
    class Nested {}
    @Module({
      imports: [
        {
          module: Empty,
          imports: [Promise.resolve(TaskQueueModule.forRootAsync({ useFactory: () => ({}) }))],
        },
      ],
    })
    class ThroughPromise {}
    @Module({ imports: [forwardRef(() => QueueModule)] })
    class ThroughForwardRef {}

    expect(await importsTaskQueueModule(QueueModule)).toBe(true);
    expect(await importsTaskQueueModule(Nested)).toBe(true);
    expect(await importsTaskQueueModule(ThroughPromise)).toBe(true);
    expect(await importsTaskQueueModule(ThroughForwardRef)).toBe(true);
  });

  it('is false for a module graph without it, cycles included', async () => {
    @Module({ imports: [forwardRef(() => Cyclic), Empty] })
    class Cyclic {}
    expect(await importsTaskQueueModule(Empty)).toBe(false);
    expect(await importsTaskQueueModule(Cyclic)).toBe(false);
  });
});
