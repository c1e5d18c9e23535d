import { TaskQueueError } from './task-queue.error.js';

/**
 * The `task_outbox` table (or the `TaskOutbox` entity, or a column of a later migration) is not available on the DataSource the
 * outbox writer used.
 * @publicApi
 */
export class OutboxTableMissingError extends TaskQueueError {
  constructor(detail: 'table' | 'entity' | 'column', options?: { cause?: unknown }) {
    super(
      detail === 'column'
        ? `The task_outbox table has no trace_context column. Add the AddTaskOutboxTraceContext ` +
            `migration from celeriac to your DataSource's migrations (after CreateTaskOutbox) and ` +
            `run them (typeorm migration:run), then retry.`
        : detail === 'table'
          ? `The task_outbox table does not exist. Add CreateTaskOutbox1767225600000 and ` +
            `AddTaskOutboxTraceContext1780272000000 (from celeriac/typeorm) to your DataSource's ` +
            `migrations and run them (migrationsRun: true, or typeorm migration:run), then retry.`
          : `The TaskOutbox entity is not registered on this DataSource. Add TaskOutbox to the ` +
            `DataSource's entities (TypeOrmModule.forRoot({ entities: [..., TaskOutbox] })).`,
      options,
    );
  }
}
