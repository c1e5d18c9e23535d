import { type DynamicModule, Module } from '@nestjs/common';
import { TaskQueueModule, type TaskQueueOptions } from 'celeriac';
import { InteropTasks } from './interop.tasks.js';

/** The interop fixture app: one provider of tasks Python calls by name. */
@Module({})
export class InteropModule {
  static forRoot(options: TaskQueueOptions): DynamicModule {
    return {
      module: InteropModule,
      imports: [TaskQueueModule.forRoot(options)],
      providers: [InteropTasks],
    };
  }
}
