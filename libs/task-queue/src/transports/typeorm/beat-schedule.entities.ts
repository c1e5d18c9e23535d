import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One beat schedule (`beat_schedule`): definition and state as JSON text, its revision. @publicApi */
@Entity({ name: 'beat_schedule' })
export class BeatScheduleRow {
  @PrimaryColumn({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'text' })
  definition!: string;

  @Column({ type: 'text' })
  state!: string;

  @Column({ type: 'bigint' })
  rev!: string;

  /** The next scheduled instant in epoch ms (null: paused or finished), for listing. */
  @Column({ name: 'next_fire_at', type: 'bigint', nullable: true })
  nextFireAt!: string | null;
}

/** A fire claimed by a leader and not confirmed yet (`beat_pending`). @publicApi */
@Entity({ name: 'beat_pending' })
export class BeatPendingRow {
  @PrimaryColumn({ name: 'task_id', type: 'varchar', length: 64 })
  taskId!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  /** JSON text of the pending fire. */
  @Column({ type: 'text' })
  fire!: string;
}

/** The beat leader lease (`beat_lease`): owner, fencing token, expiry in epoch ms (DB clock). @publicApi */
@Entity({ name: 'beat_lease' })
export class BeatLeaseRow {
  @PrimaryColumn({ type: 'varchar', length: 100 })
  name!: string;

  @Column({ type: 'varchar', length: 200 })
  owner!: string;

  @Column({ type: 'bigint' })
  token!: string;

  @Column({ name: 'expires_at', type: 'bigint' })
  expiresAt!: string;
}
