import type { MigrationInterface, QueryRunner } from 'typeorm';
import { qualifiedTable, sqlDialect } from './sql-dialect.js';

/**
 * Creates `task_result` and `task_group_result` for `TypeOrmResultBackend` (PostgreSQL,
 * MySQL/MariaDB, SQLite). Add the class to your DataSource's `migrations` and run them.
 * @publicApi
 */
export class CreateTaskResult1767225600001 implements MigrationInterface {
  name = 'CreateTaskResult1767225600001';

  async up(queryRunner: QueryRunner): Promise<void> {
    const dialect = sqlDialect(queryRunner);
    const time =
      dialect === 'postgres' ? 'timestamptz' : dialect === 'mysql' ? 'datetime(3)' : 'datetime';
    const text = dialect === 'mysql' ? 'longtext' : 'text';
    const results = qualifiedTable(queryRunner.connection, 'task_result');
    const groups = qualifiedTable(queryRunner.connection, 'task_group_result');
    await queryRunner.query(
      `CREATE TABLE ${results} (
        task_id varchar(255) NOT NULL PRIMARY KEY,
        status varchar(50) NOT NULL,
        result ${text} NULL,
        traceback ${text} NULL,
        children ${text} NULL,
        name varchar(255) NULL,
        args ${text} NULL,
        kwargs ${text} NULL,
        worker varchar(255) NULL,
        retries int NULL,
        queue varchar(255) NULL,
        group_id varchar(255) NULL,
        parent_id varchar(255) NULL,
        date_created ${time} NOT NULL,
        date_done ${time} NULL,
        expires_at ${time} NOT NULL
      )`,
    );
    const escape = (name: string): string => queryRunner.connection.driver.escape(name);
    await queryRunner.query(
      `CREATE INDEX ${escape('IDX_task_result_expires_at')} ON ${results} (expires_at)`,
    );
    await queryRunner.query(
      `CREATE TABLE ${groups} (
        group_id varchar(255) NOT NULL PRIMARY KEY,
        result ${text} NOT NULL,
        date_created ${time} NOT NULL,
        expires_at ${time} NOT NULL
      )`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `DROP TABLE ${qualifiedTable(queryRunner.connection, 'task_group_result')}`,
    );
    await queryRunner.query(`DROP TABLE ${qualifiedTable(queryRunner.connection, 'task_result')}`);
  }
}
