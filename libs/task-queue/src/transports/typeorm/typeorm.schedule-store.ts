import { Logger } from '@nestjs/common';
import { type Observable, Subject } from 'rxjs';
import type { DataSource } from 'typeorm';
import type {
  BeatLease,
  PendingFire,
  ScheduleClaim,
  ScheduleDefinition,
  ScheduleSaveOptions,
  ScheduleState,
  ScheduleStore,
  StoredSchedule,
} from '../../contracts/schedule-store.interface.js';
import { ConfigurationError } from '../../errors/configuration.error.js';
import { readPendingFire, readStoredSchedule } from '../stored-schedule.js';
import { PgNotificationListener } from './pg-notification.listener.js';
import { isMissingTableError, qualifiedTable, sqlDialect } from './sql-dialect.js';
import { scheduleDefinitionJson } from '../../protocol/schedule-json.js';

/** Options of {@link TypeOrmScheduleStore}. @publicApi */
export interface TypeOrmScheduleStoreOptions {
  /** Name of the lease row: beats with the same name elect one leader (default `celeriac`). */
  leaseName?: string;
  /** NOTIFY channel of edits (default `celeriac_beat`). */
  channel?: string;
}

/** The database clock in epoch ms: every beat compares lease expiry against one clock. */
const NOW_MS = `(extract(epoch from clock_timestamp()) * 1000)::bigint`;

/**
 * Schedules in PostgreSQL through a TypeORM DataSource (tables from the
 * `CreateBeatTables…` migration). The lease is a row with a fencing token; a claim locks that
 * row (`FOR SHARE`, so no takeover can commit meanwhile), checks owner, token and expiry, and
 * advances the schedules and writes their pending fires in the same transaction. Edits are
 * pushed by `NOTIFY`. The DataSource stays the caller's: `close()` does not destroy it.
 * @publicApi
 */
export class TypeOrmScheduleStore implements ScheduleStore {
  private readonly logger = new Logger('Beat');
  private readonly changed = new Subject<string>();
  readonly changes: Observable<string> = this.changed.asObservable();
  private readonly leaseName: string;
  private readonly channel: string;
  private listener?: PgNotificationListener;
  private readonly t: Record<'schedule' | 'pending' | 'lease', string>;

  constructor(
    private readonly dataSource: DataSource,
    options: TypeOrmScheduleStoreOptions = {},
  ) {
    this.leaseName = options.leaseName ?? 'celeriac';
    this.channel = options.channel ?? 'celeriac_beat';
    this.t = {
      schedule: qualifiedTable(dataSource, 'beat_schedule'),
      pending: qualifiedTable(dataSource, 'beat_pending'),
      lease: qualifiedTable(dataSource, 'beat_lease'),
    };
  }

  async connect(): Promise<void> {
    if (sqlDialect(this.dataSource) !== 'postgres') {
      throw new ConfigurationError('TypeOrmScheduleStore needs PostgreSQL (LISTEN/NOTIFY).');
    }
    try {
      await this.dataSource.query(`SELECT name FROM ${this.t.schedule} WHERE 1 = 0`);
    } catch (error) {
      if (!isMissingTableError(error)) throw error;
      throw new ConfigurationError(
        'The beat_schedule table does not exist. Add the CreateBeatTables migration from ' +
          'celeriac/typeorm to your migrations and run them.',
        { cause: error },
      );
    }
    this.listener ??= new PgNotificationListener(
      this.dataSource,
      this.channel,
      (name) => this.changed.next(name),
      // Notifications may have been missed while disconnected: ask for a full reload.
      () => this.changed.next(''),
    );
    await this.listener.start();
  }

  async close(): Promise<void> {
    await this.listener?.stop();
    this.changed.complete();
  }

  async list(): Promise<StoredSchedule[]> {
    const rows: (Row & { name: string })[] = await this.dataSource.query(
      `SELECT name, definition, state, rev FROM ${this.t.schedule}`,
    );
    // One unreadable row (a hand edit) must not stop every other schedule.
    return rows.flatMap((row) => this.readable(row));
  }

  /** The row as a schedule, or nothing (with a warning) when it is not one (see readStoredSchedule). */
  private readable(row: Row & { name: string }): StoredSchedule[] {
    try {
      return [readStoredSchedule(row.name, row.definition, row.state, row.rev)];
    } catch (error) {
      this.logger.warn(
        `Beat skips schedule ${row.name}: its stored row is not readable ` +
          `(${(error as Error).message}). Add it again (Schedules.add / celeriac schedule ` +
          `add) or remove it (celeriac schedule rm ${row.name}).`,
      );
      return [];
    }
  }

  async get(name: string): Promise<StoredSchedule | null> {
    const rows: (Row & { name: string })[] = await this.dataSource.query(
      `SELECT name, definition, state, rev FROM ${this.t.schedule} WHERE name = $1`,
      [name],
    );
    return rows[0] ? (this.readable(rows[0])[0] ?? null) : null;
  }

  /**
   * One statement: an upsert (or, with `ifRev` above 0, a plain `UPDATE ... WHERE rev = $n`, so
   * a schedule removed meanwhile is not written back) whose conditions are checked on the row
   * locked for the write, then `NOTIFY` when a row was written.
   */
  async save(
    definition: ScheduleDefinition,
    state: ScheduleState,
    { ifRev, keepIfSame = false }: ScheduleSaveOptions = {},
  ): Promise<boolean> {
    const s = this.t.schedule;
    const same = 's.definition IS DISTINCT FROM $2';
    const write =
      ifRev !== undefined && ifRev > 0
        ? `UPDATE ${s} AS s SET definition = $2, state = $3, rev = s.rev + 1, next_fire_at = $4
           WHERE s.name = $1 AND s.rev = $6 ${keepIfSame ? `AND ${same}` : ''}
           RETURNING name`
        : `INSERT INTO ${s} AS s (name, definition, state, rev, next_fire_at)
           VALUES ($1, $2, $3, 1, $4)
           ON CONFLICT (name) DO ${
             ifRev === 0
               ? 'NOTHING'
               : `UPDATE SET definition = EXCLUDED.definition, state = EXCLUDED.state,
                    rev = s.rev + 1, next_fire_at = EXCLUDED.next_fire_at
                  ${keepIfSame ? `WHERE ${same}` : ''}`
           }
           RETURNING name`;
    const params: unknown[] = [
      definition.name,
      scheduleDefinitionJson(definition),
      stateJson(state),
      state.nextFireAt,
      this.channel,
    ];
    if (ifRev !== undefined && ifRev > 0) params.push(ifRev);
    const rows: unknown[] = await this.dataSource.query(
      `WITH written AS (${write}) SELECT name, pg_notify($5, name) FROM written`,
      params,
    );
    return rows.length > 0;
  }

  async remove(name: string): Promise<boolean> {
    const rows: { n: string }[] = await this.dataSource.query(
      `WITH gone AS (DELETE FROM ${this.t.schedule} WHERE name = $1 RETURNING name)
       SELECT (SELECT count(*) FROM gone) AS n, pg_notify($2, $1)`,
      [name, this.channel],
    );
    return Number(rows[0]?.n ?? 0) > 0;
  }

  async acquireLease(owner: string, ttlMs: number): Promise<number | null> {
    const l = this.t.lease;
    const rows: { token: string }[] = await this.dataSource.query(
      `INSERT INTO ${l} AS l (name, owner, token, expires_at)
       VALUES ($1, $2, 1, ${NOW_MS} + $3)
       ON CONFLICT (name) DO UPDATE SET
         token = CASE WHEN l.owner = EXCLUDED.owner AND l.expires_at > ${NOW_MS}
                      THEN l.token ELSE l.token + 1 END,
         owner = EXCLUDED.owner,
         expires_at = EXCLUDED.expires_at
       WHERE l.owner = EXCLUDED.owner OR l.expires_at <= ${NOW_MS}
       RETURNING token`,
      [this.leaseName, owner, ttlMs],
    );
    return rows[0] ? Number(rows[0].token) : null;
  }

  async releaseLease(lease: BeatLease): Promise<void> {
    await this.dataSource.query(
      `UPDATE ${this.t.lease} SET expires_at = 0 WHERE name = $1 AND owner = $2 AND token = $3`,
      [this.leaseName, lease.owner, lease.token],
    );
  }

  async claim(lease: BeatLease, claims: ScheduleClaim[]): Promise<boolean[] | null> {
    return this.dataSource.transaction(async (manager) => {
      const held: unknown[] = await manager.query(
        `SELECT 1 FROM ${this.t.lease} WHERE name = $1 AND owner = $2 AND token = $3
           AND expires_at > ${NOW_MS} FOR SHARE`,
        [this.leaseName, lease.owner, lease.token],
      );
      if (!held.length) return null;
      const updated: unknown = await manager.query(
        `UPDATE ${this.t.schedule} AS s SET state = c.state, rev = s.rev + 1, next_fire_at = c.next
         FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[]) AS c(name, rev, state, next)
         WHERE s.name = c.name AND s.rev = c.rev
         RETURNING s.name`,
        [
          claims.map((c) => c.name),
          claims.map((c) => c.rev),
          claims.map((c) => stateJson(c.state)),
          claims.map((c) => c.state.nextFireAt),
        ],
      );
      // TypeORM answers an UPDATE with [rows, affected count].
      const applied = (
        Array.isArray(updated) && Array.isArray(updated[0]) ? updated[0] : updated
      ) as {
        name: string;
      }[];
      const names = new Set(applied.map((row) => row.name));
      const fires = claims.filter((c) => names.has(c.name)).flatMap((c) => c.fires);
      if (fires.length) {
        await manager.query(
          `INSERT INTO ${this.t.pending} (task_id, name, fire)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) ON CONFLICT DO NOTHING`,
          [
            fires.map((f) => f.taskId),
            fires.map((f) => f.name),
            fires.map((f) => JSON.stringify(f)),
          ],
        );
      }
      return claims.map((c) => names.has(c.name));
    });
  }

  async confirm(fires: PendingFire[]): Promise<void> {
    if (!fires.length) return;
    await this.dataSource.query(`DELETE FROM ${this.t.pending} WHERE task_id = ANY($1::text[])`, [
      fires.map((f) => f.taskId),
    ]);
  }

  async pending(): Promise<PendingFire[]> {
    const rows: { fire: string }[] = await this.dataSource.query(
      `SELECT fire FROM ${this.t.pending}`,
    );
    return rows.flatMap((row) => readPendingFire(row.fire) ?? []);
  }
}

interface Row {
  definition: string;
  state: string;
  rev: string;
}

function stateJson(state: ScheduleState): string {
  const { rev: _rev, ...rest } = state;
  return JSON.stringify(rest);
}
