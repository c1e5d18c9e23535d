import type { MigrationInterface, QueryRunner } from 'typeorm';
import { qualifiedTable } from '../../transports/typeorm/sql-dialect.js';

/**
 * Adds the `seq` column to `task_outbox`: with `created_at` it orders the rows, so the relay
 * publishes the tasks of a transaction in the order they were written even when their
 * `created_at` ties (or the clock stepped back). Run it after `AddTaskOutboxTraceContext…`;
 * rows written before it keep `seq = 0` and are relayed by `created_at`.
 * @publicApi
 */
export class AddTaskOutboxSequence1796601600000 implements MigrationInterface {
  name = 'AddTaskOutboxSequence1796601600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const table = qualifiedTable(queryRunner.connection, 'task_outbox');
    await queryRunner.query(`ALTER TABLE ${table} ADD seq bigint NOT NULL DEFAULT 0`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const table = qualifiedTable(queryRunner.connection, 'task_outbox');
    await queryRunner.query(`ALTER TABLE ${table} DROP COLUMN seq`);
  }
}
