/**
 * `celeriac/prometheus`: Prometheus metrics of tasks, queues and workers on prom-client
 * (a peer dependency), with celery-exporter's metric names where they exist. See
 * docs/metrics-and-health.md.
 */
export { TaskQueueMetricsModule } from './observability/metrics/task-queue-metrics.module.js';
export {
  TaskQueueMetrics,
  TASK_QUEUE_METRICS_OPTIONS,
} from './observability/metrics/task-queue-metrics.service.js';
export {
  DEFAULT_BUCKETS,
  type TaskQueueMetricsOptions,
} from './observability/metrics/metrics.options.js';
