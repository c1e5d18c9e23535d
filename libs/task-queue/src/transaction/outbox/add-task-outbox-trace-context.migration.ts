import type { MigrationInterface, QueryRunner } from 'typeorm';
import { qualifiedTable } from '../../transports/typeorm/sql-dialect.js';

/**
 * Adds the nullable `trace_context` column to `task_outbox` (the trace context of the
 * `delayOnCommit()` call, so the relay publishes under the original trace). Run it after
 * `CreateTaskOutbox…`; the outbox needs it whether or not tracing is on.
 * @publicApi
 */
export class AddTaskOutboxTraceContext1780272000000 implements MigrationInterface {
  name = 'AddTaskOutboxTraceContext1780272000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const table = qualifiedTable(queryRunner.connection, 'task_outbox');
    await queryRunner.query(`ALTER TABLE ${table} ADD trace_context text NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const table = qualifiedTable(queryRunner.connection, 'task_outbox');
    await queryRunner.query(`ALTER TABLE ${table} DROP COLUMN trace_context`);
  }
}
