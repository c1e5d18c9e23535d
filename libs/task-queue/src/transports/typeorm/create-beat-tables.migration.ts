import type { MigrationInterface, QueryRunner } from 'typeorm';
import { qualifiedTable } from './sql-dialect.js';

/**
 * Creates `beat_schedule`, `beat_pending` and `beat_lease` for `TypeOrmScheduleStore`
 * (PostgreSQL). Add the class to your DataSource's `migrations` and run them.
 * @publicApi
 */
export class CreateBeatTables1780358400000 implements MigrationInterface {
  name = 'CreateBeatTables1780358400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const table = (name: string): string => qualifiedTable(queryRunner.connection, name);
    await queryRunner.query(
      `CREATE TABLE ${table('beat_schedule')} (
        name varchar(200) NOT NULL PRIMARY KEY,
        definition text NOT NULL,
        state text NOT NULL,
        rev bigint NOT NULL,
        next_fire_at bigint NULL
      )`,
    );
    await queryRunner.query(
      `CREATE TABLE ${table('beat_pending')} (
        task_id varchar(64) NOT NULL PRIMARY KEY,
        name varchar(200) NOT NULL,
        fire text NOT NULL
      )`,
    );
    await queryRunner.query(
      `CREATE TABLE ${table('beat_lease')} (
        name varchar(100) NOT NULL PRIMARY KEY,
        owner varchar(200) NOT NULL,
        token bigint NOT NULL,
        expires_at bigint NOT NULL
      )`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const name of ['beat_lease', 'beat_pending', 'beat_schedule']) {
      await queryRunner.query(`DROP TABLE ${qualifiedTable(queryRunner.connection, name)}`);
    }
  }
}
