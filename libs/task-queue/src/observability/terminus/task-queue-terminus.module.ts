import { type DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { rejectUnknownOptions } from '../../config/known-options.js';
import { healthController } from './task-queue-health.controller.js';
import { TaskQueueHealthIndicator } from './task-queue.health-indicator.js';

/** `TaskQueueTerminusModule.forRoot()` options. @publicApi */
export interface TaskQueueTerminusOptions {
  /**
   * Base path of the `live` and `ready` endpoints (default `health`: `/health/live`,
   * `/health/ready`); `false`: no controller, use {@link TaskQueueHealthIndicator} in yours.
   */
  path?: string | false;
}

/**
 * Terminus health checks of Celeriac (`celeriac/terminus`, @nestjs/terminus as a peer
 * dependency): the {@link TaskQueueHealthIndicator} and, by default, `/health/live` and
 * `/health/ready`, and Terminus' `HealthCheckService` for your own controllers. See
 * docs/metrics-and-health.md.
 * @publicApi
 */
@Module({})
export class TaskQueueTerminusModule {
  static forRoot(options: TaskQueueTerminusOptions = {}): DynamicModule {
    rejectUnknownOptions('TaskQueueTerminusModule', '', options, ['path']);
    const path = options.path ?? 'health';
    return {
      module: TaskQueueTerminusModule,
      imports: [TerminusModule],
      providers: [TaskQueueHealthIndicator],
      controllers: path === false ? [] : [healthController(path)],
      // Terminus' own HealthCheckService (and its indicators) for the importing module's
      // controllers, next to Celeriac's, as the docs' StatusController uses them.
      exports: [TaskQueueHealthIndicator, TerminusModule],
    };
  }
}
