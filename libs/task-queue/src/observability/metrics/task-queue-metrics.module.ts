import { type DynamicModule, Global, Module } from '@nestjs/common';
import { METRICS_EXPOSITION } from '../http/metrics-exposition.js';
import { metricsController } from './metrics.controller.js';
import { rejectUnknownOptions } from '../../config/known-options.js';
import type { TaskQueueMetricsOptions } from './metrics.options.js';
import { TASK_QUEUE_METRICS_OPTIONS, TaskQueueMetrics } from './task-queue-metrics.service.js';

/**
 * Prometheus metrics of Celeriac (`celeriac/prometheus`): import it next to `TaskQueueModule`.
 * An HTTP app gets `GET /metrics`; a worker-only process serves the same registry on its
 * `worker.http` server. Global, so the worker's server finds it. See
 * docs/metrics-and-health.md.
 * @publicApi
 */
@Global()
@Module({})
export class TaskQueueMetricsModule {
  static forRoot(options: TaskQueueMetricsOptions = {}): DynamicModule {
    rejectUnknownOptions('TaskQueueMetricsModule', '', options, [
      'registry',
      'path',
      'queues',
      'tasks',
      'queueStatsTimeout',
      'taskNames',
      'maxTaskNames',
      'defaultMetrics',
      'buckets',
    ]);
    const path = options.path ?? '/metrics';
    return {
      module: TaskQueueMetricsModule,
      providers: [
        { provide: TASK_QUEUE_METRICS_OPTIONS, useValue: options },
        TaskQueueMetrics,
        { provide: METRICS_EXPOSITION, useExisting: TaskQueueMetrics },
      ],
      controllers: path === false ? [] : [metricsController(path)],
      exports: [TaskQueueMetrics, METRICS_EXPOSITION],
    };
  }
}
