import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { describe, expect, it } from 'vitest';
import { TaskQueueModule } from '../../task-queue.module.js';
import { TaskQueueTerminusModule } from './task-queue-terminus.module.js';
import { TaskQueueHealthIndicator } from './task-queue.health-indicator.js';

/** docs/metrics-and-health.md's StatusController, in a module that imports only Celeriac's. */
@Controller('status')
class StatusController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly taskQueue: TaskQueueHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check(): Promise<HealthCheckResult> {
    return this.health.check([() => this.taskQueue.broker(), () => this.taskQueue.consumer()]);
  }
}

@Module({
  imports: [
    TaskQueueModule.forRoot({ worker: { banner: false } }),
    TaskQueueTerminusModule.forRoot({ path: false }),
  ],
  controllers: [StatusController],
})
class AppModule {}

describe('TaskQueueTerminusModule', () => {
  it("gives the importing module Terminus' HealthCheckService next to the indicator", async () => {
    const app = await NestFactory.createApplicationContext(AppModule, {
      logger: false,
      abortOnError: false,
    });
    try {
      const result = await app.get(StatusController).check();
      expect(result.status).toBe('ok');
      expect(Object.keys(result.details).sort()).toEqual(['broker', 'consumer']);
    } finally {
      await app.close();
    }
  });
});
