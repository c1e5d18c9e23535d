import { type DynamicModule, Module } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { MemoryBroker } from '../transports/memory/memory.broker.js';
import { TestingResultBackend } from './testing-result-backend.js';
import type { TaskQueueOptions } from '../config/task-queue-options.interface.js';
import { TaskQueueModule } from '../task-queue.module.js';
import { RecordingBroker } from './recording.broker.js';
import { TaskQueueTester } from './task-queue.tester.js';

export interface TaskQueueTestingOptions extends Omit<
  TaskQueueOptions,
  'broker' | 'resultBackend'
> {
  /** Keep a result backend (default true, in memory). */
  results?: boolean;
}

/**
 * Celeriac without any broker: dispatched tasks are recorded, and `TaskQueueTester.runUntilIdle()`
 * runs them through the real worker pipeline (context, retries, results) in this process.
 *
 * @example
 * const app = await Test.createTestingModule({
 *   imports: [TaskQueueTestingModule.forRoot(), OrdersModule],
 * }).compile();
 * await app.init();
 * const tester = app.get(TaskQueueTester);
 * await tester.runUntilIdle();
 * expect(tester.sent('orders.process')).toHaveLength(1);
 * @publicApi
 */
@Module({})
export class TaskQueueTestingModule {
  static forRoot(options: TaskQueueTestingOptions = {}): DynamicModule {
    const { results = true, ...rest } = options;
    const broker = new RecordingBroker(new MemoryBroker(`testing-${randomUUID()}`));
    return {
      module: TaskQueueTestingModule,
      global: true,
      imports: [
        TaskQueueModule.forRoot({
          ...rest,
          broker,
          resultBackend: results ? new TestingResultBackend() : false,
          worker: { banner: false, ...rest.worker, enabled: false },
        }),
      ],
      providers: [{ provide: RecordingBroker, useValue: broker }, TaskQueueTester],
      exports: [TaskQueueTester, RecordingBroker],
    };
  }
}
