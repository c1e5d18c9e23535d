import { Logger } from '@nestjs/common';
import { In, LessThanOrEqual, type DataSource } from 'typeorm';
import { ResultBackendError } from '../../errors/result-backend.error.js';
import type {
  ResultBackend,
  TaskMeta,
  WaitOptions,
} from '../../contracts/result-backend.interface.js';
import { isReadyState } from '../../results/task-states.js';
import { waitForEvent } from '../../results/wait-for-event.js';
import { packetTooLarge } from './packet-too-large.js';
import { PgNotificationListener } from './pg-notification.listener.js';
import { ResultWaiters } from './result-waiters.js';
import {
  instantOf,
  isMissingTableError,
  qualifiedTable,
  sqlDialect,
  utcDate,
} from './sql-dialect.js';
import { TaskGroupResult } from './task-group-result.entity.js';
import { fromResultRow, toResultValues } from './task-result.codec.js';
import { TaskResult } from './task-result.entity.js';
import { upsertTaskResult } from './task-result.upsert.js';
import type { GroupStore } from '../../contracts/group-store.interface.js';
import type { ResultTuple, SavedGroup } from '../../results/chord-parts.js';
import { decodeSavedGroup, encodeSavedGroup } from '../../results/saved-group.codec.js';

/** Options of `TypeOrmResultBackend`. @publicApi */
export interface TypeOrmResultBackendOptions {
  /** Seconds a result is kept (default 86 400, Celery's `result_expires`). */
  expires?: number;
  /** Poll interval of waiters, in ms (default 500; on PostgreSQL a slow safety net: ×10). */
  pollInterval?: number;
  /** Run `cleanup()` this often, in ms (default 1 h; 0 disables). */
  cleanupInterval?: number;
  /** PostgreSQL NOTIFY channel (default `celeriac_task_result`). */
  channel?: string;
}

/**
 * Result backend on any TypeORM DataSource (`task_result` / `task_group_result` tables, created
 * by the `CreateTaskResult…` migration; add `TaskResult` and `TaskGroupResult` to the
 * DataSource's entities). Waiters are woken by LISTEN/NOTIFY on PostgreSQL (one connection
 * shared by all waiters) and by one shared poller elsewhere. The DataSource stays the caller's:
 * `close()` does not destroy it.
 * @publicApi
 */
export class TypeOrmResultBackend implements ResultBackend, GroupStore {
  readonly kind = 'typeorm';
  private readonly logger = new Logger('TypeOrmResultBackend');
  private readonly expires: number;
  private readonly postgres: boolean;
  private readonly waiters: ResultWaiters;
  private listener?: PgNotificationListener;
  private cleanupTimer?: NodeJS.Timeout;

  constructor(
    private readonly dataSource: DataSource,
    private readonly options: TypeOrmResultBackendOptions = {},
  ) {
    this.expires = options.expires ?? 86_400;
    this.postgres = sqlDialect(dataSource) === 'postgres';
    const poll = options.pollInterval ?? 500;
    this.waiters = new ResultWaiters(this.postgres ? poll * 10 : poll, (ids) => this.getMany(ids));
  }

  /** Check the tables exist and start the periodic cleanup. */
  async connect(): Promise<void> {
    try {
      await this.dataSource.query(
        `SELECT task_id FROM ${qualifiedTable(this.dataSource, 'task_result')} WHERE 1 = 0`,
      );
    } catch (error) {
      if (!isMissingTableError(error)) throw error;
      throw new ResultBackendError(
        'The task_result table does not exist. Add the CreateTaskResult migration from celeriac to ' +
          'your migrations and run them.',
        { cause: error },
      );
    }
    const every = this.options.cleanupInterval ?? 3_600_000;
    if (every > 0 && !this.cleanupTimer) {
      this.cleanupTimer = setInterval(() => {
        this.cleanup().catch((error: unknown) =>
          this.logger.warn(`Result cleanup failed: ${String(error)}`),
        );
      }, every);
      this.cleanupTimer.unref();
    }
  }

  async store(meta: TaskMeta): Promise<void> {
    const expires = new Date(Date.now() + this.expires * 1000);
    try {
      await upsertTaskResult(
        this.dataSource,
        toResultValues(meta, expires, sqlDialect(this.dataSource)),
      );
    } catch (error) {
      throw (await packetTooLarge(this.dataSource, meta, error)) ?? error;
    }
    if (this.postgres && isReadyState(meta.status)) {
      await this.dataSource.query('SELECT pg_notify($1, $2)', [this.channel, meta.task_id]);
    }
  }

  async get(taskId: string): Promise<TaskMeta | null> {
    return (await this.getMany([taskId]))[0] ?? null;
  }

  waitForReady(taskId: string, options: WaitOptions = {}): Promise<TaskMeta> {
    return waitForEvent(taskId, options, {
      current: () => this.get(taskId),
      subscribe: async (onMeta) => {
        const off = this.waiters.add(taskId, onMeta);
        if (this.postgres) await this.ensureListener().catch(() => undefined);
        return off;
      },
    });
  }

  async forget(taskId: string): Promise<void> {
    await this.dataSource.getRepository(TaskResult).delete({ taskId });
  }

  /** `GroupResult.save()` (Celery's `save_group`): the member result tuples, in order. */
  async saveGroup(groupId: string, children: ResultTuple[]): Promise<void> {
    const now = new Date();
    await this.dataSource.getRepository(TaskGroupResult).upsert(
      {
        groupId,
        result: encodeSavedGroup(groupId, children),
        dateCreated: utcDate(this.dataSource, now),
        expiresAt: utcDate(this.dataSource, new Date(now.getTime() + this.expires * 1000)),
      },
      ['groupId'],
    );
  }

  /** A saved group (Celery's `GroupResult.restore`), or null when unknown or expired. */
  async restoreGroup(groupId: string): Promise<SavedGroup | null> {
    const row = await this.dataSource.getRepository(TaskGroupResult).findOneBy({ groupId });
    if (!row || instantOf(this.dataSource, row.expiresAt).getTime() <= Date.now()) return null;
    return decodeSavedGroup(groupId, row.result, `row ${groupId} of task_group_result`);
  }

  /** A saved group's member task ids, or null when unknown or expired. */
  async getGroup(groupId: string): Promise<string[] | null> {
    return (await this.restoreGroup(groupId))?.taskIds ?? null;
  }

  async forgetGroup(groupId: string): Promise<void> {
    await this.dataSource.getRepository(TaskGroupResult).delete({ groupId });
  }

  /** Delete expired results and groups; resolves the number of results deleted. */
  async cleanup(at = new Date()): Promise<number> {
    const now = utcDate(this.dataSource, at);
    const results = await this.dataSource
      .getRepository(TaskResult)
      .delete({ expiresAt: LessThanOrEqual(now) });
    await this.dataSource
      .getRepository(TaskGroupResult)
      .delete({ expiresAt: LessThanOrEqual(now) });
    return results.affected ?? 0;
  }

  /** `SELECT 1` through the DataSource's pool (1 s at most). */
  async ping(): Promise<void> {
    if (!this.dataSource.isInitialized)
      throw new ResultBackendError(
        'The DataSource of the typeorm result backend is not initialized.',
      );
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(new ResultBackendError('The database did not answer SELECT 1 within 1000 ms.')),
        1_000,
      );
    });
    try {
      await Promise.race([this.dataSource.query('SELECT 1'), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    if (this.cleanupTimer) clearInterval(this.cleanupTimer);
    this.cleanupTimer = undefined;
    this.waiters.clear();
    await this.listener?.stop();
    this.listener = undefined;
  }

  private get channel(): string {
    return this.options.channel ?? 'celeriac_task_result';
  }

  private ensureListener(): Promise<void> {
    this.listener ??= new PgNotificationListener(
      this.dataSource,
      this.channel,
      (taskId) => {
        if (this.waiters.has(taskId)) void this.waiters.refresh([taskId]).catch(() => undefined);
      },
      () => void this.waiters.refresh().catch(() => undefined),
    );
    return this.listener.start();
  }

  private async getMany(taskIds: string[]): Promise<TaskMeta[]> {
    const rows = await this.dataSource.getRepository(TaskResult).findBy({ taskId: In(taskIds) });
    const now = Date.now();
    const at = (value: Date): Date => instantOf(this.dataSource, value);
    const dialect = sqlDialect(this.dataSource);
    return rows
      .filter((row) => at(row.expiresAt).getTime() > now)
      .map((row) => fromResultRow({ ...row, dateDone: row.dateDone && at(row.dateDone) }, dialect));
  }
}
