import { Controller, Get, type Type } from '@nestjs/common';
import { HealthCheck, type HealthCheckResult, HealthCheckService } from '@nestjs/terminus';
import { TaskQueueHealthIndicator } from './task-queue.health-indicator.js';

/** `GET <path>/live` and `GET <path>/ready` with the indicator's presets (503 when down). */
export function healthController(path: string): Type {
  @Controller(path)
  class TaskQueueHealthController {
    constructor(
      private readonly health: HealthCheckService,
      private readonly taskQueue: TaskQueueHealthIndicator,
    ) {}

    @Get('live')
    @HealthCheck()
    live(): Promise<HealthCheckResult> {
      return this.health.check(this.taskQueue.live());
    }

    @Get('ready')
    @HealthCheck()
    ready(): Promise<HealthCheckResult> {
      return this.health.check(this.taskQueue.ready());
    }
  }
  return TaskQueueHealthController;
}
