import { Module } from '@nestjs/common';
import { PoolTasks } from './pool.tasks.js';

/**
 * Isolate modules that forget `TaskQueueModule`, for the boot-error tests: one whose task
 * provider injects `TaskContext` and `TaskClient` (Nest cannot resolve them), one with no
 * provider at all (Nest boots it, and it has no tasks).
 */
@Module({ providers: [PoolTasks] })
export class PoolWithoutQueueModule {}

@Module({})
export class PoolEmptyModule {}
