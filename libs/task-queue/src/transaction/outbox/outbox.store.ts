import { In, type DataSource, type UpdateQueryBuilder } from 'typeorm';
import {
  dateParam,
  instantOf,
  qualifiedTable,
  sqlDialect,
  utcDate,
} from '../../transports/typeorm/sql-dialect.js';
import { lastErrorText, relayBackoffMs } from './outbox.options.js';
import { compareSeq } from './outbox-position.js';
import { claimIdsMysql, claimIdsPostgres } from './outbox-claims.js';
import { outboxRead, outboxStatement } from './outbox-statement.js';
import { TaskOutbox } from './task-outbox.entity.js';

/**
 * Every state change of `task_outbox` rows after they are written: claims (leases), completion
 * and failure. Each statement is atomic on its own; a claim is a compare-and-set on the lease,
 * so two claimers never both win a row.
 */
export class OutboxStore {
  /** Becomes false when the database rejects SKIP LOCKED (old MySQL / MariaDB). */
  private skipLocked = true;

  constructor(private readonly dataSource: DataSource) {}

  /** Lease one row for `owner` unless someone holds it; null when not claimed (or absent). */
  async claimOne(id: string, owner: string, leaseMs: number): Promise<TaskOutbox | null> {
    const now = new Date();
    const result = await outboxStatement(this.dataSource, (manager) =>
      manager
        .createQueryBuilder()
        .update(TaskOutbox)
        .set({
          lockedBy: owner,
          lockedUntil: this.time(new Date(now.getTime() + leaseMs)),
          attempts: () => 'attempts + 1',
        })
        .where('id = :id', { id })
        .andWhere('(locked_until IS NULL OR locked_until < :now)', { now: this.time(now) })
        .execute(),
    );
    if (result.affected !== 1) return null;
    const row = await this.dataSource.getRepository(TaskOutbox).findOneBy({ id, lockedBy: owner });
    return row && this.read(row);
  }

  /**
   * The fast path's claim: like `claimOne` but one plain UPDATE and no read back (the caller
   * has the row in memory). True when `owner` won the row.
   */
  async claim(id: string, owner: string, leaseMs: number): Promise<boolean> {
    const dialect = sqlDialect(this.dataSource);
    if (dialect === 'other') return (await this.claimOne(id, owner, leaseMs)) !== null;
    const now = new Date();
    const values = [
      owner,
      dateParam(this.dataSource, new Date(now.getTime() + leaseMs)),
      id,
      dateParam(this.dataSource, now),
    ];
    const p = (n: number): string => (dialect === 'postgres' ? `$${n}` : '?');
    const sql =
      `UPDATE ${qualifiedTable(this.dataSource, 'task_outbox')} SET locked_by = ${p(1)}, ` +
      `locked_until = ${p(2)}, attempts = attempts + 1 WHERE id = ${p(3)} AND ` +
      `(locked_until IS NULL OR locked_until < ${p(4)})`;
    const result = await outboxStatement(this.dataSource, async ({ queryRunner }) => {
      const runner = queryRunner ?? this.dataSource.createQueryRunner();
      try {
        return (await runner.query(sql, values, true)) as { affected?: number };
      } finally {
        if (!queryRunner) await runner.release();
      }
    });
    return result.affected === 1;
  }

  /**
   * Lease up to `limit` due rows for `owner`, in relay order: `created_at`, then `seq` (the
   * order they were written in, see `nextOutboxPosition`).
   */
  async claimBatch(owner: string, leaseMs: number, limit: number): Promise<TaskOutbox[]> {
    const dialect = sqlDialect(this.dataSource);
    if (dialect === 'postgres')
      return this.load(await claimIdsPostgres(this.dataSource, owner, leaseMs, limit), owner);
    if (dialect === 'mysql' && this.skipLocked) {
      try {
        return this.load(await claimIdsMysql(this.dataSource, owner, leaseMs, limit), owner);
      } catch (error) {
        if ((error as { code?: unknown }).code !== 'ER_PARSE_ERROR') throw error;
        this.skipLocked = false;
      }
    }
    return this.claimBatchPolling(owner, leaseMs, limit);
  }

  /** These rows were published: delete those `owner` still holds, in one statement. */
  completeHeld(ids: readonly string[], owner: string): Promise<void> {
    return this.deleteRows(ids, owner, 'locked_by = :owner');
  }

  /**
   * Give back rows `owner` claimed but did not publish: claimable again at once, in their place.
   * With `failed` (the row whose publish found the broker unreachable), that row records the
   * error and the others' claims are not counted as attempts (they were not tried).
   */
  async release(
    ids: readonly string[],
    owner: string,
    failed?: { id: string; error: unknown },
  ): Promise<void> {
    if (!failed) return this.unlockHeld(ids, owner, {});
    return this.unlockHeld(
      ids,
      owner,
      {
        attempts: () => 'CASE WHEN id = :failedId THEN attempts ELSE attempts - 1 END',
        lastError: () => 'CASE WHEN id = :failedId THEN :failedError ELSE last_error END',
      },
      {
        failedId: failed.id,
        failedError: lastErrorText(failed.error, sqlDialect(this.dataSource)),
      },
    );
  }

  /**
   * Give back every row `owner` holds (after a round the database cut short, when the claim's
   * answer may have been lost): claimable again at once. Resolves the number released.
   */
  async releaseAllHeld(owner: string): Promise<number> {
    const result = await outboxStatement(this.dataSource, (manager) =>
      manager
        .createQueryBuilder()
        .update(TaskOutbox)
        .set({ lockedBy: null, lockedUntil: null })
        .where('locked_by = :owner', { owner })
        .execute(),
    );
    return result.affected ?? 0;
  }

  /** Give back claimed rows that were not tried: in place, their claim not counted. */
  async releaseUntried(ids: readonly string[], owner: string): Promise<void> {
    return this.unlockHeld(ids, owner, { attempts: () => 'attempts - 1' });
  }

  /** Clear the lease of the rows of `ids` that `owner` holds, setting `set` too. */
  private async unlockHeld(
    ids: readonly string[],
    owner: string,
    set: Parameters<UpdateQueryBuilder<TaskOutbox>['set']>[0],
    params: Record<string, unknown> = {},
  ): Promise<void> {
    if (ids.length === 0) return;
    await outboxStatement(this.dataSource, (manager) =>
      manager
        .createQueryBuilder()
        .update(TaskOutbox)
        .set({ lockedBy: null, lockedUntil: null, ...set })
        .where('id IN (:...ids) AND locked_by = :owner', { ids, owner, ...params })
        .execute(),
    );
  }

  /**
   * Rows published by the fast path: delete those that `owner` holds or nobody claimed (a relay
   * that claimed one meanwhile will publish it again and delete it: at-least-once).
   */
  completeMany(ids: readonly string[], owner: string): Promise<void> {
    return this.deleteRows(ids, owner, '(locked_by IS NULL OR locked_by = :owner)');
  }

  /** Delete the rows of `ids` whose lease matches `lease` (a condition on `:owner`). */
  private async deleteRows(ids: readonly string[], owner: string, lease: string): Promise<void> {
    if (ids.length === 0) return;
    await outboxStatement(this.dataSource, (manager) =>
      manager
        .createQueryBuilder()
        .delete()
        .from(TaskOutbox)
        .where(`id IN (:...ids) AND ${lease}`, { ids, owner })
        .execute(),
    );
  }

  /**
   * Publishing failed: release the lease (or, for a row that was never claimed, count the
   * attempt) and retry after a backoff.
   */
  async fail(
    row: Pick<TaskOutbox, 'id' | 'attempts'>,
    owner: string,
    error: unknown,
    claimed = true,
  ): Promise<void> {
    const attempts = claimed ? row.attempts : row.attempts + 1;
    await outboxStatement(this.dataSource, (manager) =>
      manager
        .createQueryBuilder()
        .update(TaskOutbox)
        .set({
          lockedBy: null,
          lockedUntil: null,
          relayAfter: this.time(new Date(Date.now() + relayBackoffMs(attempts))),
          lastError: lastErrorText(error, sqlDialect(this.dataSource)),
          ...(claimed ? {} : { attempts: () => 'attempts + 1' }),
        })
        .where(claimed ? 'id = :id AND locked_by = :owner' : 'id = :id AND locked_by IS NULL', {
          id: row.id,
          owner,
        })
        .execute(),
    );
  }

  /** No row locks (SQLite, old MySQL): pick candidates, then win each with a compare-and-set. */
  private async claimBatchPolling(
    owner: string,
    leaseMs: number,
    limit: number,
  ): Promise<TaskOutbox[]> {
    const now = dateParam(this.dataSource, new Date());
    const candidates = await this.dataSource
      .getRepository(TaskOutbox)
      .createQueryBuilder('o')
      .select('o.id', 'id')
      .where('o.relay_after <= :now', { now })
      .andWhere('(o.locked_until IS NULL OR o.locked_until < :now)', { now })
      .orderBy('o.created_at')
      .addOrderBy('o.seq')
      .limit(limit)
      .getRawMany<{ id: string }>();
    const claimed: TaskOutbox[] = [];
    for (const { id } of candidates) {
      const row = await this.claimOne(id, owner, leaseMs);
      if (row) claimed.push(row);
    }
    return claimed;
  }

  private async load(ids: string[], owner: string): Promise<TaskOutbox[]> {
    if (ids.length === 0) return [];
    const rows = await outboxRead(this.dataSource, (manager) =>
      manager.getRepository(TaskOutbox).findBy({ id: In(ids), lockedBy: owner }),
    );
    return rows
      .map((row) => this.read(row))
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || compareSeq(a.seq, b.seq));
  }

  /** A Date for a DATETIME column or comparison (UTC on MySQL/MariaDB, see `utcDate`). */
  private time(date: Date): Date {
    return utcDate(this.dataSource, date);
  }

  /** A loaded row with its times as instants. */
  private read(row: TaskOutbox): TaskOutbox {
    const at = (value: Date): Date => instantOf(this.dataSource, value);
    return {
      ...row,
      notBefore: row.notBefore && at(row.notBefore),
      createdAt: at(row.createdAt),
      relayAfter: at(row.relayAfter),
      lockedUntil: row.lockedUntil && at(row.lockedUntil),
    };
  }
}
