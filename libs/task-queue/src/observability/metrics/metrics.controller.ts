import { Controller, Get, Header, type Type } from '@nestjs/common';
import { Registry } from 'prom-client';
import { TaskQueueMetrics } from './task-queue-metrics.service.js';

/** A controller serving the exposition at `path` (any HTTP platform: it returns a string). */
export function metricsController(path: string): Type {
  @Controller()
  class TaskQueueMetricsController {
    constructor(private readonly metrics: TaskQueueMetrics) {}

    @Get(path)
    @Header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE)
    @Header('Cache-Control', 'no-store')
    scrape(): Promise<string> {
      return this.metrics.metrics();
    }
  }
  return TaskQueueMetricsController;
}
