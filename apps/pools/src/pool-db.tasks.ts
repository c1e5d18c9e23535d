import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { threadId } from 'node:worker_threads';
import type { Repository } from 'typeorm';
import { Task, TaskClient, TaskContext } from 'celeriac';
import { onCommit } from 'celeriac/typeorm';
import { type PoolRecord, PoolRecordSchema } from './pool-record.entity.js';

/** A task in an isolate with an injected TypeORM repository, a producer and onCommit. */
@Injectable()
export class PoolDbTasks {
  constructor(
    @InjectRepository(PoolRecordSchema) private readonly records: Repository<PoolRecord>,
    private readonly client: TaskClient,
    private readonly ctx: TaskContext,
  ) {}

  /** Insert a row; after the commit, send `pools.committed` with the id it was given. */
  @Task('pools.record', { pool: 'threads' })
  async record(label: string): Promise<{ thread: number; child: string }> {
    const child = `${this.ctx.id}-committed`;
    await this.records.manager.transaction(async (manager) => {
      await manager.insert(PoolRecordSchema, { label, thread: threadId });
      await onCommit(manager, async () => {
        await this.client.send('pools.committed', [label], {}, { taskId: child });
      });
    });
    return { thread: threadId, child };
  }

  /** Runs inline on the parent worker: proves the isolate's onCommit sent it. */
  @Task('pools.committed', { pool: 'inline' })
  committed(label: string): string {
    return `committed ${label}`;
  }
}
