import type { MigrationInterface, QueryRunner } from 'typeorm';
import { qualifiedTable, sqlDialect } from '../../transports/typeorm/sql-dialect.js';

/**
 * Creates the `task_outbox` table (PostgreSQL, MySQL/MariaDB, SQLite). Add the class to your
 * DataSource's `migrations` and run them.
 * @publicApi
 */
export class CreateTaskOutbox1767225600000 implements MigrationInterface {
  name = 'CreateTaskOutbox1767225600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const table = qualifiedTable(queryRunner.connection, 'task_outbox');
    const dialect = sqlDialect(queryRunner);
    const time =
      dialect === 'postgres' ? 'timestamptz' : dialect === 'mysql' ? 'datetime(3)' : 'datetime';
    const text = dialect === 'mysql' ? 'longtext' : 'text';
    await queryRunner.query(
      `CREATE TABLE ${table} (
        id varchar(255) NOT NULL PRIMARY KEY,
        queue varchar(255) NOT NULL,
        task_name varchar(255) NOT NULL,
        priority int NULL,
        not_before ${time} NULL,
        message ${text} NOT NULL,
        created_at ${time} NOT NULL,
        relay_after ${time} NOT NULL,
        attempts int NOT NULL DEFAULT 0,
        last_error ${text} NULL,
        locked_by varchar(255) NULL,
        locked_until ${time} NULL
      )`,
    );
    const index = queryRunner.connection.driver.escape('IDX_task_outbox_relay_after');
    await queryRunner.query(`CREATE INDEX ${index} ON ${table} (relay_after)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE ${qualifiedTable(queryRunner.connection, 'task_outbox')}`);
  }
}
