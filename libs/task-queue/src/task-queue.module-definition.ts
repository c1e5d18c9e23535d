import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { TaskQueueOptions } from './config/task-queue-options.interface.js';

/** forRoot / forRootAsync (useFactory | useClass | useExisting) come from Nest's builder. */
export const {
  ConfigurableModuleClass: ConfigurableTaskQueueModule,
  MODULE_OPTIONS_TOKEN: TASK_QUEUE_MODULE_OPTIONS,
  OPTIONS_TYPE: TASK_QUEUE_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: TASK_QUEUE_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<TaskQueueOptions>({ moduleName: 'TaskQueue' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createTaskQueueOptions')
  .setExtras({ isGlobal: true }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
  }))
  .build();
