import { DataSource } from 'typeorm';
import { AddTaskOutboxSequence1796601600000 } from '../transaction/outbox/add-task-outbox-sequence.migration.js';
import { AddTaskOutboxTraceContext1780272000000 } from '../transaction/outbox/add-task-outbox-trace-context.migration.js';
import { CreateTaskOutbox1767225600000 } from '../transaction/outbox/create-task-outbox.migration.js';
import { TaskOutbox } from '../transaction/outbox/task-outbox.entity.js';

/** An in-memory sql.js DataSource with `task_outbox` made by its migrations, as an app has it. */
export function openSqljsOutbox(): Promise<DataSource> {
  return new DataSource({
    type: 'sqljs',
    entities: [TaskOutbox],
    migrations: [
      CreateTaskOutbox1767225600000,
      AddTaskOutboxTraceContext1780272000000,
      AddTaskOutboxSequence1796601600000,
    ],
    migrationsRun: true,
  }).initialize();
}
