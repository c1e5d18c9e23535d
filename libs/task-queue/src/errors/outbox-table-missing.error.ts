import { TaskQueueError } from './task-queue.error.js';

/** What to do, per missing piece. */
const OUTBOX_SCHEMA_ADVICE = {
  column:
    `The task_outbox table has no trace_context column. Add the AddTaskOutboxTraceContext ` +
    `migration from celeriac to your DataSource's migrations (after CreateTaskOutbox) and ` +
    `run them (typeorm migration:run), then retry.`,
  sequence:
    `The task_outbox table has no seq column (it keeps the tasks of a transaction in order). ` +
    `Add AddTaskOutboxSequence1796601600000 (from celeriac/typeorm) to your DataSource's ` +
    `migrations (after the other task_outbox migrations) and run them (typeorm migration:run), ` +
    `then retry.`,
  table:
    `The task_outbox table does not exist. Add CreateTaskOutbox1767225600000, ` +
    `AddTaskOutboxTraceContext1780272000000 and AddTaskOutboxSequence1796601600000 (from ` +
    `celeriac/typeorm) to your DataSource's migrations and run them (migrationsRun: true, or ` +
    `typeorm migration:run), then retry.`,
  entity:
    `The TaskOutbox entity is not registered on this DataSource. Add TaskOutbox to the ` +
    `DataSource's entities (TypeOrmModule.forRoot({ entities: [..., TaskOutbox] })).`,
} as const;

/**
 * The `task_outbox` table (or the `TaskOutbox` entity, or a column of a later migration) is not
 * available on the DataSource the outbox writer or relay used. The message names the migration
 * to run.
 * @publicApi
 */
export class OutboxTableMissingError extends TaskQueueError {
  constructor(detail: 'table' | 'entity' | 'column' | 'sequence', options?: { cause?: unknown }) {
    super(OUTBOX_SCHEMA_ADVICE[detail], options);
  }
}
