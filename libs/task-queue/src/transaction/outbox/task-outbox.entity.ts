import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * One task waiting to be published (`task_outbox`). Written in the business transaction by
 * `OutboxWriter`, deleted once the broker accepted the message. Create the table with the
 * `CreateTaskOutbox…` migrations and add this entity to the DataSource.
 * @publicApi
 */
// NOTE: `synchronize: false`: the migrations own the table. One entity cannot name the types
// they create on every driver (timestamptz on PostgreSQL, longtext on MySQL/MariaDB), so
// `synchronize` (and `migration:generate`) would otherwise recreate those columns as timestamp /
// text: on MariaDB that empties the message of every pending row and caps new ones at 64 KiB.
@Entity({ name: 'task_outbox', synchronize: false })
@Index('IDX_task_outbox_relay_after', ['relayAfter'])
export class TaskOutbox {
  /** = task id: the dedupe key end to end. */
  @PrimaryColumn({ type: 'varchar', length: 255 })
  id!: string;

  @Column({ type: 'varchar', length: 255 })
  queue!: string;

  @Column({ name: 'task_name', type: 'varchar', length: 255 })
  taskName!: string;

  @Column({ type: 'int', nullable: true })
  priority!: number | null;

  @Column({ name: 'not_before', type: Date, nullable: true })
  notBefore!: Date | null;

  /** The serialized TaskMessage (JSON text). */
  @Column({ type: 'text' })
  message!: string;

  @Column({ name: 'created_at', type: Date })
  createdAt!: Date;

  /**
   * Breaks `created_at` ties: the relay publishes rows by `created_at`, then `seq` (a counter
   * of the writing process), so the tasks of a transaction go out in the order they were
   * written. A decimal string (`bigint`). Added by the `AddTaskOutboxSequence…` migration.
   */
  @Column({ type: 'bigint', default: 0 })
  seq!: string;

  /** The relay ignores the row before this instant (the fast path is handling it). */
  @Column({ name: 'relay_after', type: Date })
  relayAfter!: Date;

  @Column({ type: 'int', default: 0 })
  attempts!: number;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  @Column({ name: 'locked_by', type: 'varchar', length: 255, nullable: true })
  lockedBy!: string | null;

  @Column({ name: 'locked_until', type: Date, nullable: true })
  lockedUntil!: Date | null;

  /**
   * The trace context of the `delayOnCommit()` call (propagation fields as JSON, e.g.
   * `{"traceparent":"00-…"}`), so the relay publishes under the original trace; null when
   * tracing is off. Added by the `AddTaskOutboxTraceContext…` migration.
   */
  @Column({ name: 'trace_context', type: 'text', nullable: true })
  traceContext!: string | null;
}
