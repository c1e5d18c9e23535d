import {
  AddTaskOutboxSequence1796601600000,
  AddTaskOutboxTraceContext1780272000000,
  CreateTaskOutbox1767225600000,
  CreateTaskResult1767225600001,
  TaskGroupResult,
  TaskOutbox,
  TaskResult,
} from 'celeriac/typeorm';

// Celeriac's TypeORM tables as an application lists them: one place for the specs, so a new
// migration is added here once.

/** The migrations that make `task_outbox` (synchronize leaves it alone), in order. */
export const OUTBOX_MIGRATIONS = [
  CreateTaskOutbox1767225600000,
  AddTaskOutboxTraceContext1780272000000,
  AddTaskOutboxSequence1796601600000,
];

/** The migration that makes `task_result` and `task_group_result`. */
export const RESULT_MIGRATIONS = [CreateTaskResult1767225600001];

/** The outbox and result tables' entities. */
export const CELERIAC_ENTITIES = [TaskOutbox, TaskResult, TaskGroupResult];

/** Every Celeriac migration, in order. */
export const CELERIAC_MIGRATIONS = [...OUTBOX_MIGRATIONS, ...RESULT_MIGRATIONS];
