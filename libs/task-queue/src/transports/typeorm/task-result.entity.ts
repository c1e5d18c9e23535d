import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * One task's result (`task_result`), modelled on django-celery-results' `TaskResult`. JSON
 * values are stored as text. Create it with the `CreateTaskResult…` migration.
 * @publicApi
 */
// NOTE: `synchronize: false`: the `CreateTaskResult…` migration owns the table (timestamptz on
// PostgreSQL, longtext on MySQL/MariaDB, which one entity cannot name for every driver); see
// TaskOutbox.
@Entity({ name: 'task_result', synchronize: false })
@Index('IDX_task_result_expires_at', ['expiresAt'])
export class TaskResult {
  @PrimaryColumn({ name: 'task_id', type: 'varchar', length: 255 })
  taskId!: string;

  @Column({ type: 'varchar', length: 50 })
  status!: string;

  /** JSON text. */
  @Column({ type: 'text', nullable: true })
  result!: string | null;

  @Column({ type: 'text', nullable: true })
  traceback!: string | null;

  /** JSON text of the child results. */
  @Column({ type: 'text', nullable: true })
  children!: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  name!: string | null;

  /** JSON text. */
  @Column({ type: 'text', nullable: true })
  args!: string | null;

  /** JSON text. */
  @Column({ type: 'text', nullable: true })
  kwargs!: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  worker!: string | null;

  @Column({ type: 'int', nullable: true })
  retries!: number | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  queue!: string | null;

  @Column({ name: 'group_id', type: 'varchar', length: 255, nullable: true })
  groupId!: string | null;

  @Column({ name: 'parent_id', type: 'varchar', length: 255, nullable: true })
  parentId!: string | null;

  @Column({ name: 'date_created', type: Date })
  dateCreated!: Date;

  @Column({ name: 'date_done', type: Date, nullable: true })
  dateDone!: Date | null;

  @Column({ name: 'expires_at', type: Date })
  expiresAt!: Date;
}
