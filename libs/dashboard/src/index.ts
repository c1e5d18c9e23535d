// @celeriac/dashboard public API: the module and the types of its options and JSON API.
export { TaskQueueDashboardModule } from './task-queue-dashboard.module.js';
export type { DashboardRequest, TaskQueueDashboardOptions } from './dashboard.options.js';
export type { DashboardHistoryOptions } from './dashboard-history.js';
export type { DashboardSession } from './dashboard-api.controller.js';
export type { ActionResult } from './dashboard-actions.controller.js';
export type { DashboardDelta } from './dashboard-stream.service.js';
export type { DashboardSeries } from './dashboard-metrics.js';
export type { QueueInfo, WorkerDetails } from './dashboard-queues.service.js';
export type { TaskSummary } from './task-summary.js';
export type { LongField, TaskDetail } from './task-detail.js';
export type { TaskQueryParams } from './task-query.params.js';
export type { ScheduleRow } from './dashboard-schedules.controller.js';
