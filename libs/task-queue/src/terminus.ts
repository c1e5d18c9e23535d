/**
 * `celeriac/terminus`: Celeriac's health checks as @nestjs/terminus indicators (a peer
 * dependency), with `/health/live` and `/health/ready`. See docs/metrics-and-health.md.
 */
export {
  TaskQueueTerminusModule,
  type TaskQueueTerminusOptions,
} from './observability/terminus/task-queue-terminus.module.js';
export { TaskQueueHealthIndicator } from './observability/terminus/task-queue.health-indicator.js';
