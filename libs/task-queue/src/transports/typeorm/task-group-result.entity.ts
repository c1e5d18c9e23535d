import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A group's member task ids (`task_group_result`), like django-celery-results' `GroupResult`. @publicApi */
// NOTE: `synchronize: false`: made by the `CreateTaskResult…` migration (see TaskResult).
@Entity({ name: 'task_group_result', synchronize: false })
export class TaskGroupResult {
  @PrimaryColumn({ name: 'group_id', type: 'varchar', length: 255 })
  groupId!: string;

  /** JSON text: the member task ids, in order. */
  @Column({ type: 'text' })
  result!: string;

  @Column({ name: 'date_created', type: Date })
  dateCreated!: Date;

  @Column({ name: 'expires_at', type: Date })
  expiresAt!: Date;
}
