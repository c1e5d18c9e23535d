import type { TypeOrmModuleOptions } from '@nestjs/typeorm';
import {
  AddTaskOutboxSequence1796601600000,
  AddTaskOutboxTraceContext1780272000000,
  CreateTaskOutbox1767225600000,
  CreateTaskResult1767225600001,
  TaskOutbox,
  TaskResult,
  TaskGroupResult,
} from 'celeriac/typeorm';
import { OrderLine } from './orders/order-line.entity.js';
import { Order } from './orders/order.entity.js';

/**
 * The demo's database: an embedded SQLite (sql.js, in memory) by default; PostgreSQL when
 * DATABASE_URL is set (`postgres://user@127.0.0.1:5432/db`). Same code either way.
 */
export function databaseConfig(env: NodeJS.ProcessEnv = process.env): TypeOrmModuleOptions {
  // Celeriac's tables: the outbox (dispatch: 'outbox') and the database result backend.
  const entities = [Order, OrderLine, TaskOutbox, TaskResult, TaskGroupResult];
  // synchronize makes the demo's own tables; Celeriac's come from their migrations only.
  const migrations = [
    CreateTaskOutbox1767225600000,
    AddTaskOutboxTraceContext1780272000000,
    AddTaskOutboxSequence1796601600000,
    CreateTaskResult1767225600001,
  ];
  const schema = { entities, migrations, synchronize: true, migrationsRun: true } as const;
  if (env.DATABASE_URL) {
    return { type: 'postgres', url: env.DATABASE_URL, ...schema };
  }
  return { type: 'sqljs', ...schema, autoSave: false };
}
